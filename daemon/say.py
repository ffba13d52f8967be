"""What the daemon says: one line at a time on stdout (or stderr), and never a reason to
stop playing.

A daemon's output goes where its user sent it - a terminal, `serve | tee log`, a file on a
disk. When that goes away (tee quits: a broken pipe) or fills up (a full disk), a print
raised in the middle of the main loop and the daemon ended with notes and the pedal still
on. Here such an error silences that stream for good instead: the music goes on, and it
stops cleanly when asked.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

_silenced: set[str] = set()  # "stdout" / "stderr": streams that failed once


def say(line: str, error: bool = False) -> None:
    """Print `humanizer: line` on stdout (stderr with `error`), flushed; a stream that
    cannot be written to any more is replaced by the null device and never tried again."""
    name = "stderr" if error else "stdout"
    if name in _silenced:
        return
    stream: TextIO = getattr(sys, name)
    try:
        print(f"humanizer: {line}", file=stream, flush=True)
    except (OSError, ValueError):  # a broken pipe, a full disk, a closed stream
        _silenced.add(name)
        setattr(sys, name, open(os.devnull, "w"))  # held for the process
