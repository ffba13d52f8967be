"""Beat files: the meter of a part from its annotated beats (POP909's `beat_midi.txt`,
ASAP's `<performance>_annotations.txt`).

POP909: each line holds a beat's time in seconds and, in its last column, 1 where the beat
is a downbeat. ASAP: a beat's time twice and a label, `b` or `db,<signature>` for a
downbeat (with `,<key>` now and then). A note's beat position is interpolated between
the beats around it (beyond the first and last, at the tempo of the nearest two), its
place in the bar counted from the downbeat before it, and the bar's length is the usual
spacing of the downbeats.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from humanizer.errors import HumanizerError
from humanizer.meter import Meter

POP909_BEATS = "beat_midi.txt"
ASAP_BEATS = "_annotations.txt"
GRID = 48  # 16ths and triplets both lie on 48ths of a beat


def read_beats(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(beat times, downbeat flags) of a beat file."""
    try:
        rows = np.loadtxt(path, ndmin=2)
    except (OSError, ValueError) as error:
        raise HumanizerError(f"{path}: not a beat file ({error})") from None
    if len(rows) < 2 or rows.shape[1] < 2:
        raise HumanizerError(f"{path}: a beat file needs two beats or more")
    return rows[:, 0], rows[:, -1] > 0


def annotations_of(performance: Path) -> Path:
    """Where ASAP keeps a performance's beat annotations."""
    return performance.with_name(performance.stem + ASAP_BEATS)


def read_annotations(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(beat times, downbeat flags) of an ASAP annotation file."""
    try:
        rows = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
        times = np.array([float(row[0]) for row in rows])
    except (OSError, ValueError, IndexError) as error:
        raise HumanizerError(f"{path}: not a beat annotation file ({error})") from None
    if len(times) < 2:
        raise HumanizerError(f"{path}: a beat file needs two beats or more")
    return times, np.array([row[-1].strip().startswith("db") for row in rows])


def meter_from_beats(times: np.ndarray, beats: np.ndarray, downbeats: np.ndarray) -> Meter:
    """The meter of onsets at `times` from annotated beats."""
    index = np.arange(len(beats), dtype=np.float64)
    position = np.interp(times, beats, index)
    before, after = times < beats[0], times > beats[-1]
    position[before] = (times[before] - beats[0]) / (beats[1] - beats[0])
    position[after] = index[-1] + (times[after] - beats[-1]) / (beats[-1] - beats[-2])
    grid = np.round(position * GRID) / GRID  # quantized parts sit on a 1/48-beat grid
    near = np.abs(position - grid) < 0.01
    position[near] = grid[near]
    bars = np.flatnonzero(downbeats)
    length = float(np.median(np.diff(bars))) if len(bars) > 1 else 4.0
    first = bars[0] if len(bars) else 0
    last_bar = bars[np.clip(np.searchsorted(bars, np.floor(position), side="right") - 1, 0,
                            max(len(bars) - 1, 0))] if len(bars) else np.zeros(len(times))
    in_bar = np.where(position >= first, position - last_bar, (position - first) % length)
    return Meter(position % 1.0, in_bar % length, np.full(len(times), length),
                 np.ones(len(times)))
