"""What one inference of the daemon is given: a style, the notes heard, which are due.

The scheduler takes a snapshot of what the buffer heard under its lock (a Job of the notes
as they came) and, outside it, makes the job the style hears (`as_heard`): only the notes
it has input for, how far past them it hears (engine.heard_ahead, as offline --latency),
and where each falls in the bar. Plain data and a pure function, like the buffer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from humanizer import meter
from humanizer.centres import Centre
from humanizer.daemon.events import Event
from humanizer.engine import Engine, heard_ahead
from humanizer.meter import Meter, Signatures
from humanizer.notes import Note
from humanizer.windows import LevelNotes


@dataclass
class Job:
    """One inference: a style's engine, the notes heard on the channels it plays, which of
    them are due (indices into `notes`, one per event), how far past them the model hears,
    and each note's part (its channel)."""

    engine: Engine
    notes: list[Note]
    indices: list[int]
    lookahead: float
    events: list[Event]
    owners: list[int]  # each note's part: its channel
    positions: np.ndarray  # each note's song position
    meter: Meter | None  # ... and so where it falls in the bar (None until prepared)
    levels: LevelNotes  # what the notes' input level weighs
    earlier: Mapping[int, Centre]  # ... and what the due notes centre on


def as_heard(snapshot: Job, timing: bool, signatures: Signatures
             ) -> tuple[Job | None, list[Event]]:
    """The job as its style hears it - its notes the style has input for (engine.hears),
    heard `heard_ahead` of the lookahead (with `timing` on, an early shift's margin less),
    placed in the bar by the time `signatures` - or None when it hears none of the due
    ones; and the due events it has no input for."""
    engine = snapshot.engine
    heard = [engine.hears(note) for note in snapshot.notes]
    position = np.cumsum([note is not None for note in heard]) - 1
    kept = [(i, event) for i, event in zip(snapshot.indices, snapshot.events)
            if heard[i] is not None]
    unheard = [event for i, event in zip(snapshot.indices, snapshot.events)
               if heard[i] is None]
    if not kept:
        return None, unheard
    playable = [note for note in heard if note is not None]
    places = snapshot.positions[[note is not None for note in heard]]
    return Job(engine, playable, [int(position[i]) for i, _ in kept],
               heard_ahead(snapshot.lookahead, timing), [event for _, event in kept],
               [note.channel for note in playable], places,
               meter.of_positions(places, signatures), snapshot.levels,
               snapshot.earlier), unheard
