"""The notes that came in and went out lately, for the live panel to draw.

A tape holds the last SIZE note-ons, each numbered in the order it was recorded: a reader
asks for those after the last number it saw, so it gets each note once however often it
looks, and a slow reader loses only the oldest. Invariants: numbers rise by one per note;
`after(n)` returns the held notes numbered above n, oldest first. The reader thread
records into the heard tape and the sender into the sent one, while the control thread
reads: one lock per tape, held only to copy.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import NamedTuple

SIZE = 4096  # notes kept per tape: at 800 notes/s, five seconds


class TapedNote(NamedTuple):
    number: int
    seconds: float  # on the daemon's clock
    channel: int  # 0-15
    key: int
    velocity: int


class Tape:
    def __init__(self, size: int = SIZE):
        self._notes: deque[TapedNote] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.count = 0  # notes ever recorded: the last one's number

    def record(self, seconds: float, channel: int, key: int, velocity: int) -> None:
        with self._lock:
            self.count += 1
            self._notes.append(TapedNote(self.count, seconds, channel, key, velocity))

    def after(self, number: int) -> list[TapedNote]:
        """The notes held that are numbered above `number`, oldest first."""
        with self._lock:  # the count and the notes as one: a note recorded between them
            count, held = self.count, list(self._notes)  # was skipped for good
        if count <= number:
            return []
        return held[max(0, len(held) - (count - number)):]
