"""The predictor's watchdog: an inference that never returns must not wedge the daemon.

An ONNX run cannot be interrupted from Python: a style whose graph loops on some input
(issue 36: a `Loop` whose trip count depends on the notes) would hold the predictor for
good while every thread looked alive. So each inference is timed here; when one runs past
STALL_SECONDS the service abandons it: its style is dropped (its channels play the style
they played before), a fresh predictor takes over under a new generation, and whatever
the abandoned run places when - if ever - it returns is thrown away. Its notes leave on
time with their own velocity (late), as any note not predicted in time does.

Pure state, under its own lock (the predictor writes it, the service's loop reads it):
- at most one inference is running at a time per generation;
- `stalled` names an engine only for the current generation, once per stall;
- `generation` only grows.
"""

from __future__ import annotations

import threading

STALL_SECONDS = 2.0  # an inference this long has stalled (a live window takes ~5 ms)


class InferenceWatch:
    """When the current inference began, of which engine, in which generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: tuple[float, object, int] | None = None
        self.generation = 0

    def begin(self, engine: object, now: float, generation: int) -> None:
        with self._lock:
            if generation == self.generation:
                self._running = (now, engine, generation)

    def end(self, generation: int) -> None:
        with self._lock:
            if generation == self.generation:
                self._running = None

    def current(self, generation: int) -> bool:
        """Whether a predictor of `generation` is still the one that counts."""
        return generation == self.generation

    def stalled(self, now: float) -> object | None:
        """The engine of an inference of this generation running past STALL_SECONDS; the
        generation moves on at once, so it is named once and its results are discarded."""
        with self._lock:
            if self._running is None or now - self._running[0] <= STALL_SECONDS:
                return None
            engine = self._running[1]
            self._running = None
            self.generation += 1
            return engine
