"""Seeded variation: each take of a part its own dynamics, and the same take for a seed.

A style predicts, beside each note's deviation, how much a player varies it (its spread).
At `variation` v the output step adds v x spread x z to the deviation, where z is a
standard normal value drawn here: smooth over time - a player who leans in stays leaned
in for a while - and partly each note's own (the notes of a chord do not all move
together). Per part, z is one stream consumed in note order, seeded by (seed, part): the
same seed gives the same take of a file, another seed another, and live a channel's
notes draw from their own stream as they come.
"""

from __future__ import annotations

import numpy as np

DRIFT_SECONDS = 0.6  # how long the smooth part of the variation takes to change
OWN_SHARE = 0.5  # the share of the variance that is each note's own


class Takes:
    """Per part (an integer: a channel, or a part's number in a file), a stream of
    correlated standard normal values."""

    def __init__(self, seed: int):
        self.seed = seed
        self._streams: dict[int, tuple[np.random.Generator, float, float]] = {}

    def draw(self, part: int, times: np.ndarray, own_share: float = OWN_SHARE) -> np.ndarray:
        """One value per note of `part` at `times` (in the order the notes come; times
        earlier than the stream's last note count as no time passed), `own_share` of the
        variance each note's own (a style's: a pad's players move smoothly, with none)."""
        times = np.asarray(times, dtype=np.float64)
        rng, last_time, drift = self._streams.get(part) or (
            np.random.default_rng([self.seed, part]), None, None)
        values = np.empty(len(times))
        fresh = rng.standard_normal((len(times), 2))
        for i, at in enumerate(times):
            if drift is None:
                drift = fresh[i, 0]
            else:
                kept = np.exp(-max(0.0, at - last_time) / DRIFT_SECONDS)
                drift = kept * drift + np.sqrt(1.0 - kept * kept) * fresh[i, 0]
            last_time = at if last_time is None else max(last_time, at)
            values[i] = np.sqrt(1 - own_share) * drift + np.sqrt(own_share) * fresh[i, 1]
        self._streams[part] = (rng, last_time, drift)
        return values
