"""The Groove MIDI Dataset (drums): its index and official split.

GMD's `info.csv` names every file and its split, so its own split is used: results stay
comparable with other work on the data set.
"""

from __future__ import annotations

import csv
from pathlib import Path

INDEX = "info.csv"


def is_groove(root: Path) -> bool:
    """Whether a folder is the Groove MIDI Dataset: it comes with its index."""
    return (root / INDEX).is_file()


def performances(root: Path, split: str | None = None) -> list[Path]:
    """The performance MIDI files of an official split, or all of them."""
    with open(root / INDEX, newline="") as file:
        return [root / row["midi_filename"] for row in csv.DictReader(file)
                if split is None or row["split"] == split]
