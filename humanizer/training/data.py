"""Data sets of human performances and their deterministic splits (no TensorFlow here).

- ASAP (classical piano): no official split, so pieces (the `folder` column) are split by a
  hash of their name: stable as the data grows, and no piece is in two splits.
- Groove MIDI Dataset (drums): its official `split` column.
- Any folder of performance MIDI files: split by a hash of each file's relative path.

`performances(root, split)` recognises which one a folder is.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from humanizer import encoding
from humanizer.notes import Note, read

SPLITS = ("train", "validation", "test")


def split_of(name: str) -> str:
    """Deterministic 80/10/10 split by a hash of a piece's or file's name."""
    bucket = int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "validation" if bucket == 1 else "train"


def asap_performances(root: Path, split: str | None) -> list[Path]:
    with open(root / "metadata.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    return [root / row["midi_performance"] for row in rows
            if split is None or split_of(row["folder"]) == split]


def groove_performances(root: Path, split: str | None) -> list[Path]:
    with open(root / "info.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    return [root / row["midi_filename"] for row in rows if split is None or row["split"] == split]


def folder_performances(root: Path, split: str | None) -> list[Path]:
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    return [p for p in files if split is None or split_of(str(p.relative_to(root))) == split]


def kind_of(root: Path) -> str:
    """'asap', 'groove' or 'folder', from the index files a data set comes with."""
    if (root / "metadata.csv").is_file():
        return "asap"
    if (root / "info.csv").is_file():
        return "groove"
    return "folder"


def performances(root: str | Path, split: str | None = None) -> list[Path]:
    """The performance files of a data set folder, optionally only one split."""
    root = Path(root)
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    finder = {"asap": asap_performances, "groove": groove_performances,
              "folder": folder_performances}[kind_of(root)]
    return finder(root, split)


@dataclass
class Performance:
    """A performance's keyboard notes as arrays, with deviation targets (model units)."""

    name: str
    starts: np.ndarray
    ends: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray
    targets: np.ndarray
    offsets: np.ndarray | None = None  # onset offsets (seconds) where the input is a score

    @property
    def duration(self) -> float:
        return float(self.ends.max()) if len(self.ends) else 0.0

    def notes(self, stretch: float = 1.0, transpose: int = 0) -> list[Note]:
        return [Note(int(p) + transpose, int(v), float(s) * stretch, float(e) * stretch)
                for p, v, s, e in zip(self.pitches, self.velocities, self.starts, self.ends)]


def load_performance(path: Path,
                     level_seconds: float = encoding.LEVEL_SECONDS) -> Performance | None:
    """A performance ready for training, or None if it has no notes on the keyboard."""
    notes = encoding.keyboard(read(path).notes)
    if not notes:
        return None
    return Performance(
        name=str(path),
        starts=np.array([n.start for n in notes]),
        ends=np.array([n.end for n in notes]),
        pitches=np.array([n.pitch for n in notes]),
        velocities=np.array([n.velocity for n in notes], dtype=np.float64),
        targets=encoding.deviation_targets(notes, level_seconds),
    )


def load_pair(path: Path, level_seconds: float = encoding.LEVEL_SECONDS) -> Performance | None:
    """The DAW case for training: the quantized input (aligned score or grid) with the
    performed velocities and onset offsets as targets; None if it matches poorly."""
    from humanizer.training.aligned import score_pair, usable

    pair = score_pair(path)
    if not usable(pair):
        print(f"skipped {path}: its score matches only {pair.match_rate:.0%} of the notes",
              file=sys.stderr)
        return None
    played = [replace(n, velocity=int(v)) for n, v in zip(pair.score, pair.velocities)]
    return Performance(
        name=str(path),
        starts=np.array([n.start for n in played]),
        ends=np.array([n.end for n in played]),
        pitches=np.array([n.pitch for n in played]),
        velocities=pair.velocities.copy(),
        targets=encoding.deviation_targets(played, level_seconds),
        offsets=pair.offsets.copy(),
    )
