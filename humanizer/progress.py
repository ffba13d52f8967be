"""A plain progress bar on stderr, for folders of files (no dependency needed)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

Item = TypeVar("Item")


def progress(items: Iterable[Item], total: int, label: str = "") -> Iterator[Item]:
    """Yield the items, drawing `label [#####     ] 3/10  1.5/s, 0:05 left` on stderr when
    it is a terminal: how fast they go and when the rest will be done."""
    show = sys.stderr.isatty() and total > 1
    began = time.monotonic()
    for done, item in enumerate(items):
        if show:
            print(f"\r{bar(label, done, total, time.monotonic() - began)}", end="",
                  file=sys.stderr, flush=True)
        yield item
    if show:
        print(f"\r{bar(label, total, total, time.monotonic() - began)}", file=sys.stderr,
              flush=True)


def bar(label: str, done: int, total: int, seconds: float) -> str:
    """One line of the progress bar, with the rate and the time left once there is one."""
    filled = int(30 * done / max(total, 1))
    line = f"{label} [{'#' * filled}{' ' * (30 - filled)}] {done}/{total}"
    if done and seconds > 0:
        rate = done / seconds
        left = int(round((total - done) / rate))
        line += f"  {rate:.2f}/s, {left // 60}:{left % 60:02d} left"
    return line
