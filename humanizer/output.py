"""The output curve: a prediction's numbers -> the velocities and onset shifts played.

The perform step (humanizer.perform), which offline and live both take, calls `velocities`
and `shifts` with the same prediction for the same notes, so a file humanized at
`--latency L` and the same part played through the daemon at latency L come out the same.

Velocities are shaped on a curve that is the identity in the middle of the range and
bends into the limits with a soft knee (KNEE steps on either side of a limit): a
deviation is what the model said until a note nears 1 or 127, then it is compressed, and
only a note asked to go KNEE beyond a limit sits on it - loud parts get no wall of 127s
and quiet parts no run of inaudible 1s. A level nearer an end than ROOM first moves inward
to ROOM (a part drawn at 127 plays around 119, one at 1 around 9), so a part drawn at the
top keeps its accents and its shape where a pure soft knee left it flat (measured: parts
at 110-127 came out with a spread of 0.5-1.9). A note whose spread would still run far
past the knee keeps a share of its deviation (`headroom`), the same above and below, as a
player plays a loud kit's accents nearer its level. A correction per note keeps the part's
mean where the user put it (or moved it) however much of it the knee bends.
`velocity_min`/`velocity_max` then scale the result into the output range, so a lower
ceiling compresses the dynamics instead of cutting their tops off.

Onset shifts are the timing head's offsets (already re-centred on the part's running
mean by the engine: the part keeps its place, its notes push and pull) times the timing
amount, plus a deliberate `feel`, within MAX_SHIFT either way.

Note lengths are the length head's ratio of the written length (log2) times the
articulation amount: `stretches`. A note's end then moves by `length_change`, within
`length_reach` either way (live, a note-off is heard only when it comes, and can leave at
most the latency earlier than it would), never to before its start and never past the
written start of the next note on its key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_SHIFT = 0.05  # seconds a note may move either way
LENGTH_REACH = 0.25  # seconds a note's end may move either way (less at a short latency)
LOWEST, HIGHEST = 1, 127  # MIDI note-on velocities
TYPICAL_DEVIATION = 12.0  # velocity steps: the spread assumed where none is given
KNEE = 8.0  # velocity steps: a limit is reached KNEE beyond it, bent from KNEE inside it
ROOM = 8.0  # a level is taken at least this far inside the range
REACH = 2.0  # spreads of deviation that fit between a level and the end of the top knee
FLOOR_REACH = 2.0  # spreads of deviation that fit between a level and 1
# a note drawn at ACCENT or above, at least KNEE above its part's level, is an accent the
# user put there: it plays at ACCENT at least (issue 34: a take's variation put 15-25 % of
# a sax's 127 accents at 111-119). A part drawn at the top as a whole has no such notes.
ACCENT = 120
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(15)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True)
class OutputSettings:
    """How a prediction is played: strength 0 = the input velocities, 1 = the model's;
    variation 0 = the same every time, 1 = each take varies as much as a player does;
    timing 0 = notes where the user put them, 1 = moved by the whole predicted offset;
    feel (seconds, negative = ahead) moves the timing-humanized parts on purpose;
    articulation 0 = lengths as written, 1 = the whole predicted length ratio; the
    velocity range the output is scaled into. `channel_strengths`: (channel 0-15,
    strength) for the channels humanized more or less than the rest."""

    strength: float = 1.0
    variation: float = 0.0  # 0 = deterministic, 1 = a player's spread (humanizer.variation)
    timing: float = 0.0
    feel: float = 0.0
    articulation: float = 0.0
    velocity_min: int = LOWEST
    velocity_max: int = HIGHEST
    channel_strengths: tuple[tuple[int, float], ...] = ()

    def strengths(self, channels: np.ndarray | None) -> np.ndarray | float:
        """Each note's strength by its MIDI channel (the one strength where no channel has
        its own, or the channels are not known)."""
        if not self.channel_strengths or channels is None:
            return self.strength
        table = np.full(16, self.strength)
        for channel, strength in self.channel_strengths:
            table[channel] = strength
        return table[np.clip(np.asarray(channels, dtype=np.int64), 0, 15)]


def knee(values: np.ndarray) -> np.ndarray:
    """The output curve: the identity from LOWEST + KNEE to HIGHEST - KNEE, and beyond
    that a quadratic bend with the same slope where it starts that meets each limit flat,
    KNEE past it (continuous, with its slope, everywhere)."""
    values = np.asarray(values, dtype=np.float64)
    top, bottom = HIGHEST - KNEE, LOWEST + KNEE
    bent = np.where(values > top, values - (values - top) ** 2 / (4 * KNEE), values)
    bent = np.where(values < bottom, values + (bottom - values) ** 2 / (4 * KNEE), bent)
    bent = np.where(values >= HIGHEST + KNEE, HIGHEST, bent)
    return np.where(values <= LOWEST - KNEE, LOWEST, bent)


def _knee_slope(values: np.ndarray) -> np.ndarray:
    top, bottom = HIGHEST - KNEE, LOWEST + KNEE
    slope = np.where(values > top, 1 - (values - top) / (2 * KNEE), 1.0)
    slope = np.where(values < bottom, 1 - (bottom - values) / (2 * KNEE), slope)
    return np.clip(slope, 0.0, 1.0)


def _mean_correction(levels: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """The shift c, per level, that keeps the expected output at the level when
    deviations of `spread` move around level + c: Newton steps on a Gauss-Hermite
    expectation. Zero where the deviations stay off the knees. Pointwise - it needs no
    other note - so a live note gets what the same note gets offline."""
    c = np.zeros_like(levels)
    points = spread[:, None] * _NODES[None, :]
    for _ in range(8):
        at = levels[:, None] + c[:, None] + points
        mean = knee(at) @ _WEIGHTS
        slope = _knee_slope(at) @ _WEIGHTS
        c = np.clip(c - (mean - levels) / np.maximum(slope, 0.05), -4 * KNEE, 4 * KNEE)
    return c


def shaped(levels: np.ndarray, deviations: np.ndarray,
           spreads: np.ndarray | float = TYPICAL_DEVIATION) -> np.ndarray:
    """Levels (moved inward to ROOM) plus deviations (velocity steps, kept as far as
    `headroom` lets them) on the knee curve: real-valued velocities within
    LOWEST..HIGHEST. `spreads` is how far deviations reach around each note (the
    prediction's local spread), for the headroom and the mean correction."""
    levels = np.clip(np.asarray(levels, dtype=np.float64), LOWEST + ROOM, HIGHEST - ROOM)
    if levels.size == 0:
        return levels.copy()
    spreads = np.broadcast_to(np.nan_to_num(np.asarray(spreads, dtype=np.float64)),
                              levels.shape)
    kept = headroom(levels, spreads)
    centred = levels + _mean_correction(levels, spreads * kept)
    return knee(centred + kept * np.asarray(deviations, dtype=np.float64))


def played_level(level: float) -> float:
    """Where a part drawn flat at `level` is played: the level, moved inward to ROOM."""
    return float(np.clip(level, LOWEST + ROOM, HIGHEST - ROOM))


def headroom(levels: np.ndarray, spreads: np.ndarray) -> np.ndarray:
    """How much of its deviations a note near an end keeps: all of them while REACH of
    its spread fits between its level and where the knee meets 127, and FLOOR_REACH
    between its level and 1; less where they do not - a loud kit's accents (spread 25 at
    120) would otherwise put half its notes on 127 to keep its mean, and a quiet kit's
    ghost notes (at 28) a fifth of them on 1. As a player plays: the quieter the part,
    the nearer its soft notes to its level. The same share above and below, so the
    part's shape and its mean are kept."""
    wanted = np.maximum(spreads, 1e-9)
    return np.minimum(1.0, np.minimum((HIGHEST + KNEE - levels) / (REACH * wanted),
                                      (levels - LOWEST) / (FLOOR_REACH * wanted)))


def in_range(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """Velocities of the full range scaled into low..high and rounded."""
    scale = (high - low) / (HIGHEST - LOWEST)
    scaled = low + (np.asarray(values, dtype=np.float64) - LOWEST) * scale
    return np.clip(np.rint(scaled), low, high).astype(np.int64)


def velocities(inputs: np.ndarray, levels: np.ndarray, deviations: np.ndarray,
               spreads: np.ndarray, settings: OutputSettings,
               variations: np.ndarray | None = None,
               noise: np.ndarray | None = None,
               channels: np.ndarray | None = None) -> np.ndarray:
    """Output velocities: the input blended by strength (each note's channel's, where
    `channels` are given) with the shaped level + deviation (+ variation x each note's
    predicted spread `variations` x `noise`, standard normal values from
    humanizer.variation), scaled into the settings' range. Non-finite predictions fall
    back to the input."""
    inputs = np.asarray(inputs, dtype=np.float64)
    if settings.variation > 0 and variations is not None and noise is not None:
        varied = settings.variation * np.nan_to_num(np.asarray(variations, dtype=np.float64))
        deviations = np.asarray(deviations, dtype=np.float64) + varied * noise
        spreads = np.sqrt(np.asarray(spreads, dtype=np.float64) ** 2 + varied**2)
    usable = np.isfinite(levels) & np.isfinite(deviations)
    human = shaped(np.where(usable, levels, 64.0), np.where(usable, deviations, 0.0), spreads)
    human = np.where(usable, human, inputs)
    accents = (inputs >= ACCENT) & (inputs - np.nan_to_num(levels, nan=np.inf) >= KNEE)
    human = np.where(accents, np.maximum(human, ACCENT), human)
    strength = settings.strengths(channels)
    blended = (1.0 - strength) * inputs + strength * human
    return in_range(blended, settings.velocity_min, settings.velocity_max)


def shifts(offsets: np.ndarray, settings: OutputSettings, has_timing: bool) -> np.ndarray:
    """Onset shifts in seconds: timing x the (re-centred) offsets plus the feel, for a
    style with a timing head and timing on; zero otherwise. Within MAX_SHIFT."""
    offsets = np.asarray(offsets, dtype=np.float64)
    if not has_timing or settings.timing <= 0.0:
        return np.zeros(len(offsets))
    moved = settings.timing * np.where(np.isfinite(offsets), offsets, 0.0) + settings.feel
    return np.clip(moved, -MAX_SHIFT, MAX_SHIFT)


def stretches(ratios: np.ndarray, settings: OutputSettings, has_lengths: bool) -> np.ndarray:
    """Each note's length ratio played (log2): articulation x the predicted ratio, for a
    style with a length head and articulation on; zero (as written) otherwise."""
    ratios = np.asarray(ratios, dtype=np.float64)
    if not has_lengths or settings.articulation <= 0.0:
        return np.zeros(len(ratios))
    return settings.articulation * np.where(np.isfinite(ratios), ratios, 0.0)


def length_reach(latency: float | None) -> float:
    """How far a note's end may move: LENGTH_REACH, and live (or offline at `latency`) no
    more than a note-off can be moved earlier once it has come - the latency less the
    largest onset shift."""
    if latency is None:
        return LENGTH_REACH
    return max(0.0, min(LENGTH_REACH, latency - MAX_SHIFT))


def length_change(start: float, end: float, next_start: float | None, stretch: float,
                  reach: float) -> float:
    """Seconds a note's end moves for a played length ratio of 2**stretch: within `reach`
    either way, to no later than `next_start` (the written start of the next note on its
    key; None: none) unless it already ends past it, and never shorter than the ratio's
    floor (the note never ends before it starts)."""
    length = max(end - start, 0.0)
    if not stretch or not math.isfinite(stretch) or length <= 0.0:
        return 0.0
    change = min(max((2.0 ** stretch - 1.0) * length, -reach), reach)
    if change > 0 and next_start is not None:
        change = min(change, max(next_start - end, 0.0))
    return float(change)
