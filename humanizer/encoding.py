"""The frame encoding `pianoroll88`, version 1 (DESIGN section 3): notes <-> piano roll.

- input: frames of 1/fps seconds; per frame 88 keys x {onset, sustained} = 176 values;
- output: per frame and key, the note's velocity *deviation* from the part's local level
  (humanizer.levels), divided by notefeatures.DEVIATION_SCALE; read at each note's onset
  frame.

Any change to what these functions compute is a new ENCODING_VERSION: models carry the
version they were trained with and the engine refuses one it does not implement.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from humanizer.notes import LOWEST_KEY, Note, keyboard

ENCODING_NAME = "pianoroll88"
ENCODING_VERSION = 1
KEYS = 88
INPUTS = 2 * KEYS
DEFAULT_FPS = 50.0


def frame_index(seconds: float | np.ndarray, fps: float) -> np.ndarray:
    """The frame a time falls in (a small epsilon keeps exact frame edges stable)."""
    return np.floor(np.asarray(seconds, dtype=np.float64) * fps + 1e-6).astype(np.int64)


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
