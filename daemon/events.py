"""What the lookahead buffer holds: the notes heard, and the events waiting to leave.

A note-on the model can shape and its note-off both point at the same HeardNote, so the
timing shift placed on the note moves the two together and its length is kept - but for
the length ratio placed with it, which moves the note-off alone once its length is known
(humanizer.output.length_change): an Event works out when it leaves from its due time,
that shift and that change. Plain data with no clock,
like the buffer that changes it under the scheduler's lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from humanizer.engine import FAR_END
from humanizer.notes import Note
from humanizer.output import length_change


@dataclass(slots=True, eq=False)
class HeardNote:
    """A note as the daemon heard it; times are seconds since the daemon started."""

    pitch: int
    velocity: int
    start: float
    channel: int
    end: float = FAR_END
    song_time: float = 0.0  # arrival + the latency set: where the DAW's track delay put it
    _note: Note | None = None
    shift: float = 0.0  # seconds the timing head moves it, set with its velocity
    sent_shift: float | None = None  # the shift its note-on left with
    off_due: float | None = None  # when its note-off is due, once it has come
    previous: HeardNote | None = None  # the note before on its key, until this is placed
    stretch: float = 0.0  # log2 of the length ratio played, set with its velocity
    reach: float = 0.0  # seconds its end may move either way (output.length_reach)
    next_start: float | None = None  # when the next note on its key began, once it has

    def end_change(self) -> float:
        """Seconds its note-off moves beyond its shift (its end must have come)."""
        return length_change(self.start, self.end, self.next_start, self.stretch, self.reach)

    def as_note(self) -> Note:
        """A snapshot for the model, made again only when the note has ended since: a
        window hands thousands of notes to every inference."""
        if self._note is None or self._note.end != self.end:
            self._note = Note(self.pitch, self.velocity, self.start, self.end, self.channel)
        return self._note


@dataclass(slots=True, eq=False)
class Event:
    """One incoming MIDI message waiting to leave at `due`."""

    t_in: float
    due: float
    message: list[int]
    note: HeardNote | None = None  # set for note-ons the model can shape
    velocity: int | None = None  # the model's velocity, once predicted
    ends: HeardNote | None = None  # set for note-offs of such notes: they move together

    def leaves(self, bypass: bool) -> float:
        """When it leaves: when due, moved with its note's timing shift. A note-off moves
        as its note-on did, and by its length change where its note-on left shaped;
        bypass moves no note-on."""
        if self.note is not None:
            return self.due if bypass else self.due + self.note.shift
        if self.ends is not None:
            shift = self.ends.sent_shift
            if shift is None:
                return self.due + (0.0 if bypass else self.ends.shift)
            return self.due + shift + (self.ends.end_change() if self.ends.stretch else 0.0)
        return self.due

    @property
    def lookahead(self) -> float:
        """How far past the onset the daemon will have heard when the note is due."""
        return round(self.due - self.t_in, 4)

