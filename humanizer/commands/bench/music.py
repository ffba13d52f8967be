"""The music every bench section plays: the bundled example piano part, of any length.

One part for all sections, so the inference, offline and JACK figures describe the same
realistic texture (bass, broken chords, melody) rather than three synthetic ones.
"""

from __future__ import annotations

import math

from humanizer.notes import Note


def piano_part(seconds: float, speed: float = 1.0) -> list[Note]:
    """The bundled example piano part, repeated for `seconds` and played `speed` times
    faster."""
    from humanizer.examples.make import piano_part as example

    one = example()
    length = max(note.end for note in one)
    notes = []
    for repeat in range(math.ceil(seconds * speed / length)):
        for note in one:
            start = (note.start + repeat * length) / speed
            if start < seconds:
                notes.append(Note(note.pitch, note.velocity, start,
                                  (note.end + repeat * length) / speed, note.channel))
    return sorted(notes, key=lambda note: (note.start, note.pitch))


def schedule(notes: list[Note]) -> list[tuple[float, list[int]]]:
    """The notes as timed MIDI messages; note-offs first at equal times."""
    events = [(n.start, 1, [0x90 | n.channel, n.pitch, n.velocity]) for n in notes]
    events += [(n.end, 0, [0x80 | n.channel, n.pitch, 0]) for n in notes]
    return [(t, m) for t, _, m in sorted(events, key=lambda e: (e[0], e[1]))]
