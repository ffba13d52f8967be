"""The daemon's threads under watch: a live tool must never go quiet while it looks healthy.

A thread whose loop raises is logged (one line and the traceback on stderr) and started
again after RESTART_PAUSE. One that fails MAX_RESTARTS times within WINDOW seconds is not
restarted: `failed` is set, and the service releases every note and exits non-zero. The
state of each thread and its restarts are reported by `ctl status`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable

from humanizer.daemon.say import say

MAX_RESTARTS = 5
WINDOW = 60.0  # seconds
RESTART_PAUSE = 0.05  # seconds: a loop that fails at once does not spin
PREDICTOR_NICENESS = 5  # how much lower than the MIDI threads the model runs (Linux)


class Supervisor:
    """Starts named loops in threads and restarts them when they raise."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.failed = threading.Event()
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}
        self._restarts: dict[str, int] = {}
        self._recent: dict[str, deque[float]] = {}
        self._errors: dict[str, str] = {}

    def start(self, name: str, loop: Callable[[], None]) -> None:
        """Run `loop` in a thread called `name` until it returns."""
        with self._lock:
            self._restarts.setdefault(name, 0)
            self._recent.setdefault(name, deque())
        thread = threading.Thread(target=self._run, args=(name, loop), name=name, daemon=True)
        self._threads[name] = thread
        thread.start()

    def _run(self, name: str, loop: Callable[[], None]) -> None:
        while True:
            try:
                loop()
                return
            except Exception as error:  # the loop's own bug: log it, restart it
                if not self._note_failure(name, error):
                    return
                time.sleep(RESTART_PAUSE)

    def _note_failure(self, name: str, error: Exception) -> bool:
        """Log a failure; False when the thread has failed too often to go on."""
        say(f"the {name} thread failed ({type(error).__name__}: {error}); restarting it",
            error=True)
        try:
            traceback.print_exc(file=sys.stderr)
        except (OSError, ValueError):  # stderr gone: the line above has silenced it
            pass
        now = self.clock()
        with self._lock:
            self._restarts[name] += 1
            self._errors[name] = f"{type(error).__name__}: {error}"
            recent = self._recent[name]
            recent.append(now)
            while recent and recent[0] < now - WINDOW:
                recent.popleft()
            if len(recent) >= MAX_RESTARTS:
                self.failed.set()
                return False
        return True

    def join(self, timeout: float = 5.0) -> None:
        for thread in list(self._threads.values()):
            if thread is not threading.current_thread():
                thread.join(timeout)

    def state(self) -> dict:
        """Per thread: alive or not, how often it was restarted, its last error."""
        with self._lock:
            return {name: {"alive": thread.is_alive(), "restarts": self._restarts[name],
                           **({"last_error": self._errors[name]} if name in self._errors
                              else {})}
                    for name, thread in self._threads.items()}


def yield_to_midi() -> None:
    """Give the calling thread (the predictor) a lower priority than the MIDI threads and
    the MIDI server, where the system allows it per thread (Linux): on a loaded machine a
    late note is the designed fallback (it leaves on time with its own velocity), while a
    starved JACK server loses MIDI."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread,
                       min(19, os.getpriority(os.PRIO_PROCESS, thread) + PREDICTOR_NICENESS))
    except OSError:
        pass
