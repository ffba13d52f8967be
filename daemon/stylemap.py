"""Which style model shapes which MIDI channel, and swapping models while playing.

A swap loads and checks the new model completely - contract, a test inference - before it
replaces the old one, and it does so in the thread that asked (the control loop), never in
the scheduler's threads. An inference already running keeps the engine it started with,
so the swap lands between inferences; if loading fails the old model keeps playing.
"""

from __future__ import annotations

import threading

import numpy as np

from humanizer import models
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.notes import Note


def load_checked(style: str) -> Engine:
    """An engine for a style name, refused unless it loads and predicts finite numbers."""
    engine = models.load(style)
    probe = [Note(60, 64, 0.0, 0.5), Note(64, 80, 0.25, 0.75)]
    prediction = engine.predict_due(probe, np.array([0, 1]), 0.5)
    if not np.all(np.isfinite(prediction.deviations)):
        raise HumanizerError(f"style '{style}': the model predicts invalid numbers")
    return engine


class StyleMap:
    """A default style plus per-channel styles (channels 0-15 inside), with their engines."""

    def __init__(self, default: str, per_channel: dict[int, str] | None = None):
        self._lock = threading.Lock()
        self._engines: dict[str, Engine] = {}
        self.default = default
        self.per_channel: dict[int, str] = {}
        self.use(default)
        for channel, style in (per_channel or {}).items():
            self.use(style, channel)

    def use(self, style: str, channel: int | None = None) -> Engine:
        """Load `style` afresh (a re-exported model is picked up) and play it on `channel`
        (0-15), or make it the default of channels without a style of their own."""
        engine = load_checked(style)
        with self._lock:
            self._engines[style] = engine
            if channel is None:
                self.default = style
            else:
                self.per_channel[channel] = style
            in_use = {self.default, *self.per_channel.values()}
            self._engines = {name: e for name, e in self._engines.items() if name in in_use}
        return engine

    def engine_for(self, channel: int) -> Engine:
        """The engine playing `channel` (0-15) now: style and engine read together, so a
        swap in between cannot hand out a style without its engine."""
        with self._lock:
            return self._engines[self.per_channel.get(channel, self.default)]

    def loaded(self) -> dict[str, Engine]:
        with self._lock:
            return dict(self._engines)

    def describe(self) -> dict:
        """For status replies: channels counted 1-16."""
        with self._lock:
            return {"default": self.default,
                    "channels": {str(ch + 1): s for ch, s in sorted(self.per_channel.items())}}
