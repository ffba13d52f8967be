"""Grid pairs: the DAW case for parts played to a click, quantized in, human out.

The Groove MIDI Dataset was recorded to a click at the tempo in each file, from its first
tick: so each hit's intended place is the nearest grid line, and the drummer's feel is the
offset from it. Input: every note snapped to the 16th-note grid, or to the 8th-note triplet
grid where that is closer (shuffles, swing), with its length kept. Targets: the performed
velocity and the onset offset (performed - snapped, seconds).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mido
import numpy as np

from humanizer.datasets.aligned import AlignedPair
from humanizer.notes import keyboard, read

STRAIGHT = 4  # grid lines per beat: 16th notes
TRIPLET = 3  # 8th-note triplets


def snap(times: np.ndarray, bpm: float) -> np.ndarray:
    """Each time moved to the nearest 16th or 8th-triplet grid line (16th on a tie)."""
    beat = 60.0 / bpm
    straight = np.round(times / (beat / STRAIGHT)) * (beat / STRAIGHT)
    triplet = np.round(times / (beat / TRIPLET)) * (beat / TRIPLET)
    closer = np.abs(times - triplet) < np.abs(times - straight)
    return np.where(closer, triplet, straight)


def first_bpm(midi: mido.MidiFile) -> float:
    """The file's first tempo in beats per minute (GMD's files carry their click tempo);
    120, MIDI's default, when it has none."""
    for track in midi.tracks:
        for message in track:
            if message.type == "set_tempo":
                return 60e6 / message.tempo
    return 120.0


def groove_pair(path: Path) -> AlignedPair:
    """The grid-snapped input and the performed targets of one file played to a click."""
    note_file = read(path)
    notes = keyboard(note_file.notes)
    bpm = first_bpm(note_file.midi)
    starts = np.array([note.start for note in notes])
    snapped = snap(starts, bpm) if notes else starts
    score = [replace(note, start=float(s), end=float(s + (note.end - note.start)))
             for note, s in zip(notes, snapped)]
    order = sorted(range(len(score)), key=lambda i: (score[i].start, score[i].pitch))
    return AlignedPair(
        name=str(path),
        score=[score[i] for i in order],
        velocities=np.array([notes[i].velocity for i in order], dtype=np.float64),
        offsets=np.array([starts[i] - snapped[i] for i in order]),
        match_rate=1.0,
    )
