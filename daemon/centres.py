"""What a note-level style's due notes are centred on, live: per channel, the start of every
note it predicted and the model's own deviation for that note, from the window it was due in.

A due note is centred on its part's deviations up to it, three level widths back
(note_engine.centre): the notes due with it come in its own call, the earlier ones from
here - so the daemon centres each note on what offline `--latency` centres it on, where
every note is due in one call. A window's own deviations would not do: along a window the
model's deviations drift, and the due note sits at its edge (docs/experiments.md).

Invariants: each channel's starts never decrease and its two arrays have one entry per
note; every entry of a channel was predicted by the style the record names for it - a
swap starts the channel afresh (another model's deviations are not this one's), and so
does a new take (`clear`). A channel keeps the CENTRE_REACH before its newest note, and
no more than TRIM_EVERY notes beyond.
Pure state, like the buffer that holds it.
"""

from __future__ import annotations

import weakref
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

import numpy as np

from humanizer.daemon.levels import TRIM_EVERY
from humanizer.engine import Engine
from humanizer.note_engine import CENTRE_SECONDS
from humanizer.windows import EarlierDeviations

# the notes a centre weighs: three of its widths (and a second to spare: the centre picks)
CENTRE_REACH = 3 * CENTRE_SECONDS + 1.0


class CentreRecord:
    """Per channel: the style that predicted it, and each predicted note's start (seconds)
    and uncentred deviation (velocity steps)."""

    def __init__(self) -> None:
        self._styles: dict[int, weakref.ref] = {}  # weak: a swapped-out model is let go
        self._starts: dict[int, array] = {}
        self._values: dict[int, array] = {}

    def add(self, style: Engine, channel: int, start: float, value: float) -> None:
        """One note `style` predicted on `channel`; a channel another style predicted
        before starts afresh."""
        if not self._predicted_by(style, channel):
            self._styles[channel] = weakref.ref(style)
            self._starts[channel], self._values[channel] = array("d"), array("d")
        starts, values = self._starts[channel], self._values[channel]
        if not starts or start >= starts[-1]:
            starts.append(start)
            values.append(value)
        else:  # predicted out of order (not seen live; kept sorted all the same)
            at = bisect_right(starts, start)
            starts.insert(at, start)
            values.insert(at, value)
        old = bisect_left(starts, starts[-1] - CENTRE_REACH)
        if old >= TRIM_EVERY:
            del starts[:old]
            del values[:old]

    def _predicted_by(self, style: Engine, channel: int) -> bool:
        return channel in self._styles and self._styles[channel]() is style

    def clear(self) -> None:
        """Forget every note (a new take)."""
        self.__init__()

    def count(self) -> int:
        return sum(len(starts) for starts in self._starts.values())

    def earlier(self, style: Engine, channels: Sequence[int], since: float
                ) -> EarlierDeviations:
        """The notes `style` predicted on `channels` that started at or after `since`,
        sorted by start (channel order within a start): copies, safe to use once the
        caller's lock is let go."""
        times, owners, values = [], [], []
        for channel in channels:
            if not self._predicted_by(style, channel):
                continue
            starts = self._starts[channel]
            first = bisect_left(starts, since)
            times.append(np.array(starts[first:], dtype=np.float64))
            owners.append(np.full(len(starts) - first, channel, dtype=np.int64))
            values.append(np.array(self._values[channel][first:], dtype=np.float64))
        if not times:
            return EarlierDeviations.none()
        order = np.argsort(np.concatenate(times), kind="stable")
        return EarlierDeviations(np.concatenate(times)[order], np.concatenate(owners)[order],
                                 np.concatenate(values)[order])
