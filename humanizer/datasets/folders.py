"""Any folder of performance MIDI files: POP909, or a musician's own recordings.

Such a folder has no index, so every MIDI file under it is a performance, split by a hash
of its path relative to the folder (stable wherever the folder is moved). POP909 is read
this way: its copy holds one MIDI file per song, so it is split by song. A folder of ASAP
(one piece, say) is read this way too, without the piece's quantized score: it is what
the performances are measured against, not one of them.
"""

from __future__ import annotations

from pathlib import Path

from humanizer.datasets.asap import SCORE
from humanizer.datasets.splits import split_of

SUFFIXES = (".mid", ".midi")


def performances(root: Path, split: str | None = None) -> list[Path]:
    """The MIDI files under a folder (sorted), of one split or all."""
    files = sorted(p for p in root.rglob("*")
                   if p.suffix.lower() in SUFFIXES and p.name != SCORE)
    return [p for p in files if split is None or split_of(str(p.relative_to(root))) == split]
