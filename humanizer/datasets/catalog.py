"""Which data set a folder is, and its performance files.

Training, evaluation and shipping all take a data set folder: ASAP and the Groove MIDI
Dataset are recognised by the index files they come with, the Weimar Jazz Database by its
tables; anything else is a plain folder.
"""

from __future__ import annotations

from pathlib import Path

from humanizer.datasets import asap, folders, groove, splits, wjd


def kind_of(root: Path) -> str:
    """'asap', 'groove', 'wjd' or 'folder', from the index files a data set comes with."""
    if asap.is_asap(root):
        return "asap"
    if groove.is_groove(root):
        return "groove"
    if wjd.is_wjd(root):
        return "wjd"
    return "folder"


def performances(root: str | Path, split: str | None = None) -> list[Path]:
    """The performance files of a data set folder, optionally only one split."""
    root = Path(root)
    splits.check(split)
    reader = {"asap": asap, "groove": groove, "wjd": wjd, "folder": folders}[kind_of(root)]
    return reader.performances(root, split)


def sample(files: list[Path], count: int | None) -> list[Path]:
    """At most `count` files, evenly spread over the (sorted) split: every piece's share."""
    if count is None or count >= len(files):
        return files
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]
