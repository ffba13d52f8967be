"""ASAP (Aligned Scores and Performances, classical piano): its index and annotations.

ASAP has no official split, so pieces (the `folder` column of metadata.csv) are split by a
hash of their name (humanizer.datasets.splits): no piece is in two splits, so a model is
never measured on a piece it heard played by someone else.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from humanizer.datasets.splits import split_of

INDEX = "metadata.csv"
SCORE = "midi_score.mid"
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
