"""What the input's level is measured from, live: the start, key and velocity of every note
heard on each channel, kept as arrays.

A note-level style hears a note's accent as its velocity less its part's level, a Gaussian
mean `level_seconds` wide (the piano's is 16 s, so three widths reach 48 s back). The model
itself hears only its context, 8 s; handing it 48 s of a dense part as note objects costs
tens of milliseconds a window under the scheduler's lock. These arrays cost what numpy
costs, and they are bounded: a channel keeps the RECORD_SECONDS before its newest note.

Invariants: each channel's starts never decrease (notes arrive in start order) and its
three arrays have one entry per note. Pure state, like the buffer that holds it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence

import numpy as np

from humanizer.contract import BOUNDS
from humanizer.engine import Engine
from humanizer.windows import LevelNotes

# the furthest back a style may ask: three of the widest level widths and the longest context
RECORD_SECONDS = 3 * BOUNDS["level_seconds"][1] + BOUNDS["context_seconds"][1] + 1.0
TRIM_EVERY = 1024  # notes past the record before it is trimmed (amortised)


class LevelRecord:
    """Per channel: each heard note's start (seconds), key and velocity."""

    def __init__(self) -> None:
        self._starts: dict[int, array] = {}
        self._keys: dict[int, array] = {}
        self._velocities: dict[int, array] = {}

    def add(self, channel: int, start: float, key: int, velocity: int) -> None:
        if channel not in self._starts:
            self._starts[channel], self._keys[channel] = array("d"), array("B")
            self._velocities[channel] = array("B")
        starts = self._starts[channel]
        starts.append(max(start, starts[-1]) if starts else start)
        self._keys[channel].append(key)
        self._velocities[channel].append(velocity)
        old = bisect_left(starts, starts[-1] - RECORD_SECONDS)
        if old >= TRIM_EVERY:
            for arrays in (self._starts, self._keys, self._velocities):
                del arrays[channel][:old]

    def clear(self) -> None:
        """Forget every note (a new take)."""
        self.__init__()

    def count(self) -> int:
        return sum(len(starts) for starts in self._starts.values())

    def notes(self, channels: Sequence[int], since: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(starts, channels, keys, velocities) of the notes on `channels` started at or
        after `since`, sorted by start (channel order, then arrival, within a start):
        copies, safe to use once the caller's lock is let go."""
        parts = []
        for channel in channels:
            starts = self._starts.get(channel)
            if not starts:
                continue
            first = bisect_left(starts, since)
            parts.append((np.array(starts[first:], dtype=np.float64),
                          np.full(len(starts) - first, channel, dtype=np.int64),
                          np.array(self._keys[channel][first:], dtype=np.int64),
                          np.array(self._velocities[channel][first:], dtype=np.float64)))
        if not parts:
            empty = np.zeros(0)
            return empty, empty.astype(np.int64), empty.astype(np.int64), empty
        columns = [np.concatenate(column) for column in zip(*parts)]
        order = np.argsort(columns[0], kind="stable")
        return tuple(column[order] for column in columns)  # type: ignore[return-value]


def level_notes(engine: Engine, record: tuple) -> LevelNotes:
    """The notes of a `LevelRecord.notes` answer that `engine` hears (as the scheduler
    keeps a window's notes): those its input level is measured from."""
    starts, channels, keys, velocities = record
    heard = engine.hears_keys(keys)
    return LevelNotes(starts[heard], channels[heard], velocities[heard])
