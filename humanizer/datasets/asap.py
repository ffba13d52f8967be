"""ASAP (Aligned Scores and Performances, classical piano): its index, annotations and the
written dynamics of its scores.

ASAP has no official split, so pieces (the `folder` column of metadata.csv) are split by a
hash of their name (humanizer.datasets.splits): no piece is in two splits, so a model is
never measured on a piece it heard played by someone else.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from humanizer.datasets.splits import split_of
from humanizer.notes import read, tempo_maps

INDEX = "metadata.csv"
SCORE = "midi_score.mid"
TICKS = 48  # per quarter: where written_dynamics finds a score note
SHIFT_NOTES = 24  # the first notes that line the notation export up with the score
SCORE_BEATS = "midi_score_annotations.txt"


def is_asap(root: Path) -> bool:
    """Whether a folder is ASAP: it comes with its index."""
    return (root / INDEX).is_file()


def rows(root: Path, split: str | None = None) -> list[dict[str, str]]:
    """The index rows (one per performance) of a split, or all of them."""
    with open(root / INDEX, newline="") as file:
        return [row for row in csv.DictReader(file)
                if split is None or split_of(row["folder"]) == split]


def performances(root: Path, split: str | None = None) -> list[Path]:
    """The performance MIDI files of a split."""
    return [root / row["midi_performance"] for row in rows(root, split)]


def beats(path: Path) -> np.ndarray:
    """Beat times (seconds) from an ASAP annotation file: the first column."""
    with open(path) as file:
        return np.array([float(line.split("\t")[0]) for line in file if line.strip()])


def companions(performance: Path) -> tuple[Path, Path, Path]:
    """(score, score beats, performance beats): the files ASAP keeps beside a
    performance, whether they exist or not."""
    folder = performance.parent
    return (folder / SCORE, folder / SCORE_BEATS,
            folder / f"{performance.stem}_annotations.txt")


def has_score(performance: Path) -> bool:
    """Whether ASAP's quantized score lies beside a performance."""
    return (performance.parent / SCORE).is_file()


def written_dynamics(performance: Path, quarters: np.ndarray, pitches: np.ndarray) -> np.ndarray:
    """The velocity ASAP's notation export (midi_score.mid, from MuseScore: p 49, f 96, a
    hairpin in between) gives each score note, found by its score position in quarters
    and its pitch; NaN where the export has no such note (repeats it does not write out,
    a tuplet rounded to another tick). What a user who imports the notation into a DAW
    gives a style: the written dynamics, no player's.

    The export may start earlier than the match file's score (a pickup bar, grace notes),
    so the two are lined up by the shift of the score that finds the most notes."""
    score = read(performance.parent / SCORE)
    tempi = tempo_maps(score.midi)
    placed = [(round(tempi[note.track].tick(note.start) / score.midi.ticks_per_beat * TICKS),
               note.pitch, note.velocity) for note in score.notes]
    by_place = {(tick, pitch): velocity for tick, pitch, velocity in placed}
    wanted = [(round(float(q) * TICKS), int(p)) for q, p in zip(quarters, pitches)]
    opening = sorted(placed)[:2 * SHIFT_NOTES]
    shifts = {tick - want for want, pitch in wanted[:SHIFT_NOTES]
              for tick, other, _ in opening if other == pitch}
    shift = max(sorted(shifts), default=0,
                key=lambda s: sum((t + s, p) in by_place for t, p in wanted[:4 * SHIFT_NOTES]))
    found = [by_place.get((tick + shift, pitch)) for tick, pitch in wanted]
    return np.array([np.nan if v is None else v for v in found], dtype=np.float64)
