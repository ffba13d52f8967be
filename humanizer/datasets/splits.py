"""Deterministic train/validation/test splits.

A data set without an official split (ASAP, POP909, a folder of one's own recordings) is
split by a hash of each piece's or file's name: the split is stable as the data grows, the
same on every machine, and needs no file to be kept beside the data.
"""

from __future__ import annotations

import hashlib

SPLITS = ("train", "validation", "test")


def split_of(name: str) -> str:
    """Deterministic 80/10/10 split by a hash of a piece's or file's name."""
    bucket = int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "validation" if bucket == 1 else "train"


def check(split: str | None) -> str | None:
    """The split itself (None: every split), or ValueError for a name that is none."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    return split
