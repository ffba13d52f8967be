"""Lookahead windows: what the model hears when it predicts a note, live and offline alike.

A note is predicted from a window of frames holding the model's context before it and the
lookahead after it - only the notes started by then, a note whose note-off comes later
sounding to the window's end, as the live daemon knows them. Notes that start within a
frame of each other share one window (`groups`), anchored at the first one's onset, and
frame 0 is centred on that onset: a prediction depends on where notes are relative to
each other, never on a clock (the daemon's times count from when it started, a file's
from its start), and notes a whole number of frames apart - a grid - sit mid-frame, where
a few milliseconds of MIDI jitter cannot move them across a frame edge.

Every window of a lookahead has the same width, so windows of any parts can run in one
batch: what a window gives does not depend on which others it ran with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from humanizer import encoding
from humanizer.meter import Meter
from humanizer.notefeatures import first_in_span
from humanizer.notes import Note


@dataclass
class LevelNotes:
    """The notes a part's input level is measured from (sorted by start), as arrays:
    usually the part's own notes. Live, the daemon's record of them reaches further back
    than the notes it hands the model (daemon.level_record): a level 16 s wide weighs 48 s of
    notes, a window's context is 8 s."""

    times: np.ndarray
    owners: np.ndarray
    velocities: np.ndarray


@dataclass
class Texture:
    """The notes one style hears together (sorted by start) as arrays; `owners` says which
    of the user's parts each belongs to (a track and channel, a live channel): the model
    hears them all, each part keeps its own level and centre. `meter`: where each note
    falls in the bar, for styles that hear it (unknown where nothing says)."""

    times: np.ndarray
    ends: np.ndarray
    keys: np.ndarray  # 0-87
    velocities: np.ndarray
    owners: np.ndarray
    meter: Meter
    level_notes: LevelNotes | None = None  # None: its own notes

    @property
    def heard_levels(self) -> LevelNotes:
        """The notes its input level is measured from."""
        if self.level_notes is None:
            return LevelNotes(self.times, self.owners, self.velocities)
        return self.level_notes

    @staticmethod
    def of(notes: Sequence[Note], owners: Sequence[int] | None = None,
           meter: Meter | None = None, level_notes: LevelNotes | None = None) -> Texture:
        # one pass over the notes (a live window builds this for every inference)
        starts, ends, pitches, velocities = np.array(
            [(note.start, note.end, note.pitch, note.velocity) for note in notes],
            dtype=np.float64).reshape(-1, 4).T.copy()
        return Texture(starts, ends, pitches.astype(np.int64) - encoding.LOWEST_KEY, velocities,
                       np.zeros(len(notes), dtype=np.int64) if owners is None
                       else np.asarray(owners, dtype=np.int64),
                       Meter.unknown(len(notes)) if meter is None else meter, level_notes)


@dataclass
class Window:
    """The notes `due` (indices into the part) predicted from one window: anchored at the
    first one's onset, hearing the notes started by `horizon`. `slots` are where their
    results go in the part's answer."""

    part: Texture
    anchor: float
    horizon: float
    due: np.ndarray
    slots: np.ndarray


def groups(times: np.ndarray, span: float, begin: int = 0, end: int | None = None
           ) -> np.ndarray:
    """For each note (times sorted), the index of the first note of its group: notes that
    start within `span` of the group's first one share a window. After any gap of `span`
    the grouping no longer depends on where the notes began, so it is worked out from the
    last such gap before `begin` to `end` only (-1 outside: not needed). A chord, or a
    burst of a thousand notes in one MIDI period, is one window; a dense run, a window a
    frame."""
    end = len(times) if end is None else end
    first = np.full(len(times), -1, dtype=np.int64)
    gaps = np.flatnonzero(np.diff(times[:begin + 1]) >= span)
    start = int(gaps[-1]) + 1 if len(gaps) else 0
    if start >= end:
        return first
    first[start:end] = first_in_span(times[start:end].tolist(), span, start)
    return first


def windows_of(part: Texture, wanted: np.ndarray, lookahead: float, fps: float) -> list[Window]:
    """The windows that predict part's notes `wanted` (indices, any order)."""
    span = 1.0 / fps
    end = int(np.searchsorted(part.times, part.times[wanted].max() + span, side="left"))
    starts = groups(part.times, span, int(wanted.min()), end)
    last = np.zeros(len(part.times), dtype=np.int64)
    known = np.flatnonzero(starts >= 0)
    ends = known[np.append(np.diff(starts[known]) != 0, True)]  # each group's last note
    last[starts[ends]] = ends
    windows = []
    order = np.argsort(starts[wanted], kind="stable")  # slots, group by group
    cuts = np.flatnonzero(np.diff(starts[wanted][order])) + 1
    for slots in np.split(order, cuts) if len(cuts) else [order]:
        if not len(slots):
            continue
        start = int(starts[wanted[slots[0]]])
        anchor = float(part.times[start])
        horizon = max(anchor + lookahead, float(part.times[last[start]]))  # its own notes
        windows.append(Window(part, anchor, horizon, wanted[slots], slots))
    return windows


@dataclass(frozen=True)
class Frames:
    """How windows are framed: the model's context before the anchor, and `ahead` frames
    after it - one more than the lookahead's, so a group's later notes fit too."""

    fps: float
    context: int
    ahead: int

    @staticmethod
    def of(fps: float, context_seconds: float, lookahead: float) -> Frames:
        ahead = max(int(encoding.frame_index(lookahead + 0.5 / fps, fps)), 1)
        return Frames(fps, int(np.ceil(context_seconds * fps)), ahead)

    @property
    def width(self) -> int:
        return self.context + self.ahead + 1

    def index(self, at: np.ndarray, anchor: float) -> np.ndarray:
        """The window frame of times `at` (frame 0 of the context is index 0)."""
        return encoding.frame_index(np.asarray(at) - anchor + 0.5 / self.fps,
                                    self.fps) + self.context

    def heard(self, window: Window) -> np.ndarray:
        """Indices of the notes whose onsets the window holds, in time order."""
        times = window.part.times
        lo = int(np.searchsorted(times, window.anchor - self.context / self.fps, side="left"))
        hi = int(np.searchsorted(times, window.horizon, side="right"))
        seen = np.arange(lo, hi)
        return seen[self.index(times[seen], window.anchor) >= 0]

    def encode(self, windows: Sequence[Window]) -> np.ndarray:
        """The frames (len(windows), width, 176) of windows, each part's sounding notes
        found once for all its windows."""
        frames = np.zeros((len(windows), self.width, encoding.INPUTS), dtype=np.float32)
        reach = self.context / self.fps
        by_part: dict[int, list[int]] = {}
        for row, window in enumerate(windows):
            by_part.setdefault(id(window.part), []).append(row)
        for rows in by_part.values():
            part = windows[rows[0]].part
            latest = max(windows[row].horizon for row in rows)
            earliest = min(windows[row].anchor for row in rows) - reach
            heard_by = int(np.searchsorted(part.times, latest, side="right"))
            candidates = np.nonzero(part.ends[:heard_by] > earliest)[0]
            for row in rows:
                window = windows[row]
                inside = candidates[(part.times[candidates] <= window.horizon)
                                    & (part.ends[candidates] > window.anchor - reach)]
                on = self.index(part.times[inside], window.anchor)
                off = np.where(part.ends[inside] <= window.horizon,
                               self.index(part.ends[inside], window.anchor), self.width)
                frames[row] = encoding.encode_spans(on, off, part.keys[inside], 0, self.width)
        return frames
