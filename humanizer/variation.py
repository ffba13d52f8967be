"""Seeded variation: each take of a part its own dynamics, and the same take for a seed.

A style predicts, beside each note's deviation, how much a player varies it (its spread).
At `variation` v the output step adds v x spread x z to the deviation, where z is a
standard normal value drawn here: smooth over time - a player who leans in stays leaned
in for a while - and partly each note's own (the notes of a chord do not all move
together). A lean comes back: the smooth part is taken from where it has been of late
(its mean over SETTLE_SECONDS), so over a phrase a take keeps the part at the level the
user drew it. Without that, a pad's 16 chords leaned on average by a quarter of their
spread and took a part at 30 to 34, and `ship` held the pad's and the kit's takes to
0.6-0.75 of their players' spread to keep their levels.

Per part, z is one stream consumed in note order, seeded by (seed, part): the same seed
gives the same take of a file, another seed another, and live a channel's
notes draw from their own stream as they come.
"""

from __future__ import annotations

import math

import numpy as np

DRIFT_SECONDS = 0.6  # how long the smooth part of the variation takes to change
SETTLE_SECONDS = 4.0  # how long a lean takes to come back to the part's own level
OWN_SHARE = 0.5  # the share of the variance that is each note's own


class Takes:
    """Per part (an integer: a channel, or a part's number in a file), a stream of
    correlated standard normal values."""

    def __init__(self, seed: int):
        self.seed = seed
        self._streams: dict[int, tuple[np.random.Generator, float, float, float]] = {}

    def draw(self, part: int, times: np.ndarray, own_share: float = OWN_SHARE) -> np.ndarray:
        """One value per note of `part` at `times` (in the order the notes come; times
        earlier than the stream's last note count as no time passed), `own_share` of the
        variance each note's own (a style's: a pad's players move smoothly, with none)."""
        times = np.asarray(times, dtype=np.float64)
        rng, last_time, drift, anchor = self._streams.get(part) or (
            np.random.default_rng([self.seed, part]), None, None, 0.0)
        values = []
        fresh = rng.standard_normal((len(times), 2)).tolist()
        smooth, own = math.sqrt(1.0 - own_share), math.sqrt(own_share)
        for at, (step, mine) in zip(times.tolist(), fresh):  # Python floats: per note
            if drift is None:
                drift = step
            else:
                gap = max(0.0, at - last_time)
                settle = math.exp(-gap / SETTLE_SECONDS)
                anchor = settle * anchor + (1.0 - settle) * drift
                kept = math.exp(-gap / DRIFT_SECONDS)
                drift = kept * drift + math.sqrt(1.0 - kept * kept) * step
            last_time = at if last_time is None else max(last_time, at)
            values.append(smooth * (drift - anchor) + own * mine)
        self._streams[part] = (rng, last_time, drift, anchor)
        return np.array(values, dtype=np.float64)
