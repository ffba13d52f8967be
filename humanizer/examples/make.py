"""Example parts as a DAW user enters them: quantized, every note at one velocity.

`python -m humanizer.examples.make` writes them again; `humanizer demo` humanizes them.
"""

from __future__ import annotations

from pathlib import Path

import mido

from humanizer.examples.arrangements import ARRANGEMENTS, arrangement
from humanizer.notes import Note, midi_from_notes, write_atomic

FOLDER = Path(__file__).parent
BEAT = 0.5  # seconds: 120 bpm

# C - Am - F - G, two bars each: left-hand root and fifth, right-hand broken chords
# in eighths, and a melody on top in quarter notes.
CHORDS = [(48, [60, 64, 67]), (45, [57, 60, 64]), (41, [57, 60, 65]), (43, [59, 62, 67])]
MELODY = [72, 74, 76, 79, 76, 74, 72, 71, 72, 69, 72, 76, 74, 72, 71, 74,
          72, 69, 65, 69, 72, 77, 76, 74, 74, 71, 67, 71, 74, 79, 77, 74]


def piano_part(velocity: int = 80) -> list[Note]:
    notes = []
    for bar in range(8):
        root, chord = CHORDS[bar // 2]
        start = bar * 4 * BEAT
        notes.append(Note(root, velocity, start, start + 4 * BEAT))
        notes.append(Note(root + 7, velocity, start + 2 * BEAT, start + 4 * BEAT))
        for step in range(8):
            pitch = chord[[0, 1, 2, 1, 0, 1, 2, 1][step]]
            at = start + step * BEAT / 2
            notes.append(Note(pitch, velocity, at, at + BEAT / 2))
        for beat in range(4):
            at = start + beat * BEAT
            notes.append(Note(MELODY[bar * 4 + beat], velocity, at, at + BEAT))
    return notes


def drum_loop(velocity: int = 100) -> list[Note]:
    """Four bars of a rock beat on channel 10: kick, snare, closed hi-hat in eighths."""
    kick, snare, hihat = 36, 38, 42
    notes = []
    for bar in range(4):
        for eighth in range(8):
            at = (bar * 8 + eighth) * BEAT / 2
            notes.append(Note(hihat, velocity, at, at + 0.05, channel=9))
            if eighth in (0, 5) or (bar % 2 and eighth == 3):
                notes.append(Note(kick, velocity, at, at + 0.05, channel=9))
            if eighth in (2, 6):
                notes.append(Note(snare, velocity, at, at + 0.05, channel=9))
    return notes


def band() -> mido.MidiFile:
    """Eight bars of a band drawn flat at four levels: melody 100, pad 30, bass 60 and
    drums 100 (with crashes, a fill, congas and a cowbell)."""
    return arrangement(ARRANGEMENTS["balanced.mid"], bars=8)


EXAMPLES = {"piano-part.mid": piano_part, "drum-loop.mid": drum_loop, "band.mid": band}


if __name__ == "__main__":
    for name, make in EXAMPLES.items():
        made = make()
        midi = made if isinstance(made, mido.MidiFile) else midi_from_notes(
            sorted(made, key=lambda n: (n.start, n.pitch)))
        write_atomic(midi, FOLDER / name)
        print(f"wrote {FOLDER / name}")
