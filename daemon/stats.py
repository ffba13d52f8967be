"""What the daemon counts and times, for `ctl status` and the stats it publishes: the
events and notes in and out, late and predicted notes, and the inference times (p50/p99
in milliseconds)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass
class Counts:
    """Counters of the lookahead buffer, changed under the scheduler's lock."""

    events_in: int = 0
    events_out: int = 0
    notes_in: int = 0
    notes_out: int = 0
    late: int = 0
    predicted: int = 0
    rejected: int = 0  # predictions that were not numbers: the input velocity played
    released: int = 0  # held notes let go because too many were held (see MAX_HELD)
    stopped: int = 0  # note-ons dropped because the DAW stopped before they were due


class Timings:
    """The last `keep` inference durations, safe to add to and read from any thread."""

    def __init__(self, keep: int = 1000):
        self._lock = threading.Lock()
        self._seconds: deque[float] = deque(maxlen=keep)
        self.count = 0

    def add(self, seconds: float) -> None:
        with self._lock:
            self._seconds.append(seconds)
            self.count += 1

    def percentile(self, q: float) -> float | None:
        """The q-th percentile in seconds, None before the first inference."""
        with self._lock:
            if not self._seconds:
                return None
            return float(np.percentile(np.fromiter(self._seconds, float), q))

    def summary(self) -> dict:
        p50, p99 = self.percentile(50), self.percentile(99)
        return {"inferences": self.count,
                "inference_ms_p50": None if p50 is None else round(p50 * 1000, 3),
                "inference_ms_p99": None if p99 is None else round(p99 * 1000, 3)}
