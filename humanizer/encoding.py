"""The one encoding shared by training, offline and live: notes <-> model frames.

Encoding `pianoroll88`, version 1 (DESIGN section 3):
- input: frames of 1/fps seconds; per frame 88 keys x {onset, sustained} = 176 values;
- output: per frame and key, the note's velocity *deviation* from the part's local level,
  divided by DEVIATION_SCALE; read at each note's onset frame;
- level: a Gaussian-weighted mean of the velocities around a note (LEVEL_SECONDS wide);
  the engine adds the re-centred deviation to the level of the *input* velocities, so the
  model shapes the dynamics but never moves the user's level.

Any change to what these functions compute is a new ENCODING_VERSION: models carry the
version they were trained with and the engine refuses one it does not implement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from humanizer.notes import LOWEST_KEY, Note

ENCODING_NAME = "pianoroll88"
ENCODING_VERSION = 1
KEYS = 88
INPUTS = 2 * KEYS
DEFAULT_FPS = 50.0
DEVIATION_SCALE = 32.0  # velocity steps per model output unit
OFFSET_SCALE = 0.05  # seconds per unit of a timing head's output (onset offsets)
LEVEL_SECONDS = 3.0  # standard deviation of the level's Gaussian time window
# the phrase-level part of a player's dynamics: a 1 s local mean, 42 % of the variance of
# ASAP's deviations, on which other players agree at r 0.90 (docs/experiments.md)
PHRASE_SECONDS = 1.0


def frame_index(seconds: float | np.ndarray, fps: float) -> np.ndarray:
    """The frame a time falls in (a small epsilon keeps exact frame edges stable)."""
    return np.floor(np.asarray(seconds, dtype=np.float64) * fps + 1e-6).astype(np.int64)


def keyboard(notes: Sequence[Note]) -> list[Note]:
    """The notes the model sees: those on the 88 piano keys."""
    return [note for note in notes if note.on_keyboard]


def encode(notes: Sequence[Note], first_frame: int, n_frames: int, fps: float) -> np.ndarray:
    """Frames [first_frame, first_frame + n_frames) of the given notes, shape (n_frames, 176).

    A note marks its onset frame in the onset half and every frame from its onset up to
    (not including) its end frame - at least the onset frame - in the sustained half.
    """
    notes = keyboard(notes)
    onsets = frame_index([note.start for note in notes], fps)
    ends = frame_index([note.end for note in notes], fps)
    keys = np.array([note.pitch for note in notes], dtype=np.int64) - LOWEST_KEY
    return encode_spans(onsets, ends, keys, first_frame, n_frames)


def encode_spans(onsets: np.ndarray, ends: np.ndarray, keys: np.ndarray, first_frame: int,
                 n_frames: int) -> np.ndarray:
    """`encode` for notes given as onset frames, end frames and keys (0-87): vectorised,
    because the daemon encodes thousands of notes for every inference."""
    frames = np.zeros((n_frames, INPUTS), dtype=np.float32)
    on = np.asarray(onsets, dtype=np.int64) - first_frame
    off = np.maximum(np.asarray(ends, dtype=np.int64) - first_frame, on + 1)
    keys = np.asarray(keys, dtype=np.int64)
    inside = (off > 0) & (on < n_frames)
    on, off, keys = on[inside], off[inside], keys[inside]
    starting = on >= 0
    frames[on[starting], keys[starting]] = 1.0
    # sustained: +1 where a note starts sounding in the window, -1 where it stops; a
    # running sum over frames is then the number of notes sounding on each key
    changes = np.zeros((n_frames + 1, KEYS), dtype=np.int32)
    np.add.at(changes, (np.maximum(on, 0), keys), 1)
    np.add.at(changes, (np.minimum(off, n_frames), keys), -1)
    frames[:, KEYS:] = np.cumsum(changes[:-1], axis=0) > 0
    return frames


def onset_cells(notes: Sequence[Note], first_frame: int,
                fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(frame, key) of each note's onset cell, relative to first_frame."""
    frames = frame_index([note.start for note in notes], fps) - first_frame
    keys = np.array([note.pitch - LOWEST_KEY for note in notes], dtype=np.int64)
    return frames.astype(np.int64), keys


def even_slices(count: int, pieces: int) -> Iterator[slice]:
    """The slices np.array_split(range(count), pieces) would give, without its arrays: a
    live window calls the level and the re-centring for a few notes thousands of times a
    minute, and numpy's split cost more than the sums. The same pieces, so the same sums,
    to the last bit."""
    size, extra = divmod(count, pieces)
    start = 0
    for piece in range(pieces):
        end = start + size + (piece < extra)
        if end > start:
            yield slice(start, end)
        start = end


def local_mean(times: np.ndarray, values: np.ndarray, at: np.ndarray,
               seconds: float = LEVEL_SECONDS) -> np.ndarray:
    """Gaussian-weighted mean of `values` (given at `times`) around each time in `at`.

    Only values within three standard deviations count, which keeps this linear in the
    number of notes for long files. `times` must be sorted. Times in `at` are taken to the
    millisecond and each distinct one computed once: a chord, or a burst of a thousand
    notes in one MIDI period, costs one row (a millisecond moves a 3 s level by 1e-4).
    """
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    points, back = np.unique(np.round(np.asarray(at, dtype=np.float64), 3),
                             return_inverse=True)
    result = np.empty(len(points))
    if len(times) == 0:
        result.fill(np.nan)
        return result[back.reshape(-1)]
    for chunk in even_slices(len(points), max(1, len(points) // 512)):
        lo = np.searchsorted(times, points[chunk].min() - 3 * seconds, side="left")
        hi = np.searchsorted(times, points[chunk].max() + 3 * seconds, side="right")
        distance = (points[chunk, None] - times[None, lo:hi]) / seconds
        weights = np.exp(-0.5 * distance**2) * (np.abs(distance) <= 3)
        total = weights.sum(axis=1)
        own = np.searchsorted(times, points[chunk])  # a note always weighs in for itself
        nearest = np.clip(own, 0, len(times) - 1)
        fallback = values[nearest]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = weights @ values[lo:hi] / total
        result[chunk] = np.where(total > 0, mean, fallback)
    return result[back.reshape(-1)]


def phrase(times: np.ndarray, values: np.ndarray,
           seconds: float = PHRASE_SECONDS) -> np.ndarray:
    """The slow part of `values` (velocities or deviations, at sorted `times`) at each
    note: where a passage is loud or soft - what a drawn contour or the notation's p and f
    carry - without the note-level shaping (voicing, accents) on top of it."""
    return local_mean(times, values, times, seconds)


def deviation_targets(notes: Sequence[Note], level_seconds: float = LEVEL_SECONDS) -> np.ndarray:
    """Training targets: each note's velocity minus its local level, in model units."""
    times = np.array([note.start for note in notes])
    velocities = np.array([note.velocity for note in notes], dtype=np.float64)
    return (velocities - local_mean(times, velocities, times, level_seconds)) / DEVIATION_SCALE


def same_part_means(times: np.ndarray, owners: np.ndarray, at: np.ndarray,
                    at_owners: np.ndarray, columns: list[np.ndarray],
                    own: list[np.ndarray], seconds: float) -> list[np.ndarray]:
    """For each time in `at`, the Gaussian-weighted mean (as local_mean, within three
    widths) of each column over the notes of the same part (`times` sorted); a note with
    none around it is its own mean (`own`). One weight matrix for all columns: a live
    window asks this for a few notes at a time, thousands of times a minute."""
    results = [np.empty(len(at)) for _ in columns]
    # the notes looked at reach a microsecond past the weights' three widths, so the
    # distance alone decides which count, the same whichever notes are asked together
    reach = 3 * seconds + 1e-6
    for rows in even_slices(len(at), max(1, int(np.ceil(len(at) / 64)))):
        # 64 notes at a time, against the notes within reach of them only: a burst of a
        # thousand due at once stays a few MB, a whole file of 100k notes linear
        lo = int(np.searchsorted(times, at[rows].min() - reach, side="left"))
        hi = int(np.searchsorted(times, at[rows].max() + reach, side="right"))
        distance = (at[rows, None] - times[None, lo:hi]) / seconds
        weights = np.exp(-0.5 * distance**2) * (np.abs(distance) <= 3) \
            * (at_owners[rows, None] == owners[None, lo:hi])
        total = weights.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            for result, column, fallback in zip(results, columns, own):
                result[rows] = np.where(total > 0, weights @ column[lo:hi] / total,
                                        fallback[rows])
    return results
