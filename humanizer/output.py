"""The output curve: a prediction's numbers -> the velocities and onset shifts played.

The perform step (humanizer.perform), which offline and live both take, calls `velocities`
and `shifts` with the same prediction for the same notes, so a file humanized at
`--latency L` and the same part played through the daemon at latency L come out the same.

Velocities are shaped in a level-relative space, not added in velocity steps: the output
range is mapped onto a logistic curve, the input's level is a point on it, and the model's
deviation moves along it. In the middle of the range a deviation is what the model said;
towards the ends it shrinks, so loud parts get no wall of 127s and quiet parts no
inaudible 1s, and the limits are reached smoothly - a soft knee, never a clip. A
level-dependent correction keeps the part's mean where the user put it (the curve is not
symmetric around a level near an end). `velocity_min`/`velocity_max` then scale the
result into the output range, so a lower ceiling compresses the dynamics instead of
cutting their tops off.

Onset shifts are the timing head's offsets (already re-centred on the part's running
mean by the engine: the part keeps its place, its notes push and pull) times the timing
amount, plus a deliberate `feel`, within MAX_SHIFT either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SHIFT = 0.05  # seconds a note may move either way
LOWEST, HIGHEST = 1, 127  # MIDI note-on velocities
TYPICAL_DEVIATION = 12.0  # velocity steps: the spread assumed where none is given
EDGE = 0.5  # a level is taken at least this far inside the range (no infinite logit)
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(15)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True)
class OutputSettings:
    """How a prediction is played: strength 0 = the input velocities, 1 = the model's;
    variation 0 = the same every time, 1 = each take varies as much as a player does;
    timing 0 = notes where the user put them, 1 = moved by the whole predicted offset;
    feel (seconds, negative = ahead) moves the timing-humanized parts on purpose; the
    velocity range the output is scaled into."""

    strength: float = 1.0
    variation: float = 0.0  # 0 = deterministic, 1 = a player's spread (humanizer.variation)
    timing: float = 0.0
    feel: float = 0.0
    velocity_min: int = LOWEST
    velocity_max: int = HIGHEST


def _logistic(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _level_position(levels: np.ndarray) -> np.ndarray:
    """Where each level sits on the logistic curve over LOWEST..HIGHEST."""
    span = HIGHEST - LOWEST
    x = np.clip((np.asarray(levels, dtype=np.float64) - LOWEST) / span,
                EDGE / span, 1.0 - EDGE / span)
    return np.log(x / (1.0 - x))


def _mean_correction(z: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """The shift c, per level, that keeps the expected output at the level when
    deviations of `spread` (logistic units) move around z + c: solved by Newton steps on
    a Gauss-Hermite expectation. Zero in the middle of the range, growing towards the ends.
    Pointwise - it needs no other note - so a live note gets what the same note gets
    offline."""
    target = _logistic(z)
    c = np.zeros_like(z)
    points = spread[:, None] * _NODES[None, :]
    for _ in range(6):
        values = _logistic(z[:, None] + c[:, None] + points)
        mean = values @ _WEIGHTS
        slope = (values * (1.0 - values)) @ _WEIGHTS
        c = c - (mean - target) / np.maximum(slope, 1e-9)
    return c


def shaped(levels: np.ndarray, deviations: np.ndarray,
           spreads: np.ndarray | float = TYPICAL_DEVIATION) -> np.ndarray:
    """Levels plus deviations (velocity steps) on the soft-knee curve: real-valued
    velocities strictly inside LOWEST..HIGHEST. `spreads` is how far deviations reach
    around each note (the prediction's local spread), for the mean correction."""
    levels = np.asarray(levels, dtype=np.float64)
    if levels.size == 0:
        return levels.copy()
    span = HIGHEST - LOWEST
    per_step = 4.0 / span  # the curve's slope at its middle is one step per step
    z = _level_position(levels)
    spreads = np.broadcast_to(np.nan_to_num(np.asarray(spreads, dtype=np.float64)), z.shape)
    z = z + _mean_correction(z, spreads * per_step)
    return LOWEST + span * _logistic(z + np.asarray(deviations, dtype=np.float64) * per_step)


def in_range(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """Velocities of the full range scaled into low..high and rounded."""
    scale = (high - low) / (HIGHEST - LOWEST)
    scaled = low + (np.asarray(values, dtype=np.float64) - LOWEST) * scale
    return np.clip(np.rint(scaled), low, high).astype(np.int64)


def velocities(inputs: np.ndarray, levels: np.ndarray, deviations: np.ndarray,
               spreads: np.ndarray, settings: OutputSettings,
               variations: np.ndarray | None = None,
               noise: np.ndarray | None = None) -> np.ndarray:
    """Output velocities: the input blended by strength with the shaped level + deviation
    (+ variation x each note's predicted spread `variations` x `noise`, standard normal
    values from humanizer.variation), scaled into the settings' range. Non-finite
    predictions fall back to the input."""
    inputs = np.asarray(inputs, dtype=np.float64)
    if settings.variation > 0 and variations is not None and noise is not None:
        varied = settings.variation * np.nan_to_num(np.asarray(variations, dtype=np.float64))
        deviations = np.asarray(deviations, dtype=np.float64) + varied * noise
        spreads = np.sqrt(np.asarray(spreads, dtype=np.float64) ** 2 + varied**2)
    usable = np.isfinite(levels) & np.isfinite(deviations)
    human = shaped(np.where(usable, levels, 64.0), np.where(usable, deviations, 0.0), spreads)
    human = np.where(usable, human, inputs)
    blended = (1.0 - settings.strength) * inputs + settings.strength * human
    return in_range(blended, settings.velocity_min, settings.velocity_max)


def shifts(offsets: np.ndarray, settings: OutputSettings, has_timing: bool) -> np.ndarray:
    """Onset shifts in seconds: timing x the (re-centred) offsets plus the feel, for a
    style with a timing head and timing on; zero otherwise. Within MAX_SHIFT."""
    offsets = np.asarray(offsets, dtype=np.float64)
    if not has_timing or settings.timing <= 0.0:
        return np.zeros(len(offsets))
    moved = settings.timing * np.where(np.isfinite(offsets), offsets, 0.0) + settings.feel
    return np.clip(moved, -MAX_SHIFT, MAX_SHIFT)
