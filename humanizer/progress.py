"""A plain progress bar on stderr, for folders of files (no dependency needed)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

Item = TypeVar("Item")


def progress(items: Iterable[Item], total: int, label: str = "") -> Iterator[Item]:
    """Yield the items, drawing `label [#####     ] 3/10` on stderr when it is a terminal."""
    show = sys.stderr.isatty() and total > 1
    for done, item in enumerate(items):
        if show:
            filled = int(30 * done / total)
            print(f"\r{label} [{'#' * filled}{' ' * (30 - filled)}] {done}/{total}",
                  end="", file=sys.stderr, flush=True)
        yield item
    if show:
        print(f"\r{label} [{'#' * 30}] {total}/{total}", file=sys.stderr, flush=True)
