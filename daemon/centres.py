"""What a note-level style's due notes are centred on, live: each channel's running centre
(humanizer.centres) over the notes the style predicted on it.

A due note is centred on its part's running centre up to it: the notes due with it come
in its own call, the earlier ones are in the centre kept here - so the daemon centres each
note on what offline `--latency` does, where every note is due in one call. The channel's
notes move it on in the order they were predicted, as the offline centre moves on in the
part's order (`add_all` after each inference).

Invariants: each channel has one centre, finite, over the notes the style the record names
for it predicted since the take began - a swap starts the channel afresh (another model's
deviations are not this one's), and so does a new take (`clear`). Five numbers a
channel, however long the take. Pure state, like the buffer that holds it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

from humanizer.centres import Centre
from humanizer.engine import Engine
from humanizer.notes import Note


class CentreRecord:
    """Per channel: the style that predicted its notes, and their running centre."""

    def __init__(self) -> None:
        self._styles: dict[int, weakref.ref] = {}  # weak: a swapped-out model is let go
        self._centres: dict[int, Centre] = {}

    def add(self, style: Engine, channel: int, start: float, value: float,
            offset: float) -> None:
        """One note `style` predicted on `channel`: its start, what the style added to it
        and its onset offset, before centring (humanizer.centres.Centre.after); a channel
        another style predicted before starts afresh."""
        if not self._predicted_by(style, channel):
            self._styles[channel] = weakref.ref(style)
            self._centres[channel] = Centre()
        self._centres[channel] = self._centres[channel].after(start, value, offset)

    def add_all(self, style: Engine, notes: Sequence[Note], values: np.ndarray,
                offsets: np.ndarray) -> None:
        """The notes of one inference of `style`, in the order it predicted them, with
        what it added to each and their onset offsets (Prediction.added,
        .uncentred_offsets)."""
        for note, value, offset in zip(notes, values.tolist(), offsets.tolist()):
            self.add(style, note.channel, note.start, value, offset)

    def _predicted_by(self, style: Engine, channel: int) -> bool:
        return channel in self._styles and self._styles[channel]() is style

    def clear(self) -> None:
        """Forget every note (a new take)."""
        self.__init__()

    def earlier(self, style: Engine, channels: Sequence[int]) -> dict[int, Centre]:
        """The centres of the `channels` whose notes `style` predicted (the others have
        none yet for it)."""
        return {channel: self._centres[channel] for channel in channels
                if self._predicted_by(style, channel)}
