"""Two threads around the lookahead buffer: one sends events when they are due, one runs
the model shortly before notes are due.

The sender never waits for the model: a note whose velocity is not ready leaves on time
with its own velocity (and counts as late). The predictor wakes `margin` seconds before
the earliest note that needs a velocity and predicts every note due soon after in one
batch, each channel as one part, from the notes heard by the horizon engine.heard_ahead
gives - which offline `--latency` uses too, so both play the same. The prediction becomes
velocities and shifts in humanizer.output, the step offline humanizing takes.
Neither thread runs in rtmidi's callback or audio thread.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from humanizer import output
from humanizer.daemon.buffer import Event, LookaheadBuffer
from humanizer.daemon.settings import Settings
from humanizer.daemon.stats import Timings
from humanizer.daemon.stylemap import StyleMap
from humanizer.engine import BATCH_SECONDS, PREDICT_BEFORE, Engine, heard_ahead
from humanizer.notes import Note

IDLE_WAIT = 0.2  # how often idle threads look at the stop flag


@dataclass
class Job:
    """One inference: a part's engine, the notes heard on its channel, which of them are
    due (indices into `notes`, one per event) and how far past them the model hears."""

    engine: Engine
    notes: list[Note]
    indices: list[int]
    lookahead: float
    events: list[Event]


class Scheduler:
    """Owns the buffer; `receive` is called by the MIDI reader, `send` writes one message."""

    def __init__(self, styles: StyleMap, send: Callable[[list[int]], None], settings: Settings,
                 clock: Callable[[], float] = time.monotonic, skip: frozenset[int] = frozenset()):
        self.styles = styles
        self.settings = settings
        self.clock = clock
        self.timings = Timings()
        self.buffer = LookaheadBuffer(latency=settings.latency, origin=clock(), skipped=skip)
        self._send = send
        self._state = threading.Condition()  # guards buffer and settings
        self._sending = threading.Lock()  # a popped message is sent before any panic
        self._running = False
        self._threads: list[threading.Thread] = []

    # -- input -------------------------------------------------------------------------------
    def receive(self, message: list[int], t_in: float) -> None:
        with self._state:
            self.buffer.receive(message, t_in)
            self._state.notify_all()

    # -- settings ----------------------------------------------------------------------------
    def update(self, key: str, value: object) -> Settings:
        """Change one setting (validated); a new latency applies to events arriving later."""
        with self._state:
            self.settings = self.settings.changed(key, value)
            self.buffer.set_latency(self.settings.latency, self.clock())
            self._state.notify_all()
            return self.settings

    # -- threads -----------------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        for loop in (self._send_loop, self._predict_loop):
            thread = threading.Thread(target=loop, name=loop.__name__.strip("_"), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        with self._state:
            self._running = False
            self._state.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def queued(self) -> int:
        """How many events wait to leave."""
        with self._state:
            return len(self.buffer.queue)

    def _send_loop(self) -> None:
        while True:
            with self._state:
                while self._running and not self._anything_due():
                    due = self.buffer.next_due(self.settings.bypass)
                    wait = IDLE_WAIT if due is None else min(IDLE_WAIT, due - self.clock())
                    self._state.wait(max(wait, 0.0))
                if not self._running:
                    return
            with self._sending:
                with self._state:
                    messages = self.buffer.pop_due(self.clock(), self.settings.bypass)
                for message in messages:
                    self._send(message)

    def _anything_due(self) -> bool:
        due = self.buffer.next_due(self.settings.bypass)
        return due is not None and due <= self.clock()

    def margin(self) -> float:
        """How long before a note is due its inference starts: PREDICT_BEFORE, and with
        timing on MAX_SHIFT more, so a note the model moves earlier can still leave then.
        Fixed, because the horizon the model hears (engine.heard_ahead) is built on it."""
        return PREDICT_BEFORE + (output.MAX_SHIFT if self.settings.timing > 0 else 0.0)

    def _predict_loop(self) -> None:
        while True:
            with self._state:
                if not self._running:
                    return
                self.buffer.skip_past(self.clock())
                due = self.buffer.next_prediction_due()
                wait = IDLE_WAIT if due is None else due - self.margin() - self.clock()
                if wait > 0:
                    self._state.wait(min(wait, IDLE_WAIT))
                    continue
                batch = self.buffer.claim(due + BATCH_SECONDS)
                jobs = self._jobs(batch)
                settings = self.settings
            try:
                self.predict(jobs, settings)
            except Exception:  # a broken inference must not stop the music: notes go late
                traceback.print_exc(file=sys.stderr)

    def _jobs(self, batch: list[Event]) -> list[Job]:
        """Per channel (a part) and lookahead: the engine, the notes heard on the channel
        and the events' indices. Called with the state lock held, so the notes are a
        consistent snapshot."""
        groups: dict[tuple[int, float], list[Event]] = defaultdict(list)
        for event in batch:
            groups[event.note.channel, event.lookahead].append(event)
        timing = self.settings.timing > 0
        jobs = []
        for (channel, lookahead), events in groups.items():
            engine = self.styles.engine_for(channel)
            contract = engine.contract
            # the frames look back context_seconds, the input's level 3 level widths
            reach = max(contract.context_seconds, 3 * contract.level_seconds) + 1.0
            notes, indices = self.buffer.window([channel], events, reach)
            heard = [engine.hears(note) for note in notes]
            position = np.cumsum([note is not None for note in heard]) - 1
            kept = [i for i, event in zip(indices, events) if heard[i] is not None]
            for i, event in zip(indices, events):
                if heard[i] is None:  # the style has no input for it: it keeps its own
                    self.buffer.place(event, event.note.velocity)
            if kept:
                jobs.append(Job(engine, [note for note in heard if note is not None],
                                [int(position[i]) for i in kept], heard_ahead(lookahead, timing),
                                [event for i, event in zip(indices, events)
                                 if heard[i] is not None]))
        return jobs

    def predict(self, jobs: list[Job], settings: Settings) -> None:
        """Run the model for each job and give its events their velocities and shifts."""
        played = settings.output()
        for job in jobs:
            started = time.perf_counter()
            prediction = job.engine.predict_due(job.notes, np.array(job.indices), job.lookahead)
            heard = np.array([event.note.velocity for event in job.events], dtype=np.float64)
            velocities = output.velocities(heard, prediction.levels, prediction.deviations,
                                           prediction.spreads, played)
            shifts = output.shifts(prediction.offsets, played, job.engine.contract.timing)
            self.timings.add(time.perf_counter() - started)
            with self._state:
                for event, velocity, shift in zip(job.events, velocities.tolist(),
                                                  shifts.tolist()):
                    self.buffer.place(event, int(velocity), shift)
                self.buffer.counts.predicted += len(job.events)
                self._state.notify_all()  # a note moved earlier may be due sooner

    # -- panic and shutdown -----------------------------------------------------------------
    def panic(self) -> int:
        """Silence now (see LookaheadBuffer.panic); returns how many notes were released."""
        with self._sending:
            with self._state:
                sounding = self.buffer.sounding()
                messages = self.buffer.panic()
                self._state.notify_all()
            for message in messages:
                self._send(message)
        return sounding

    def end_held_notes(self) -> int:
        """Note-offs for every note held at the input, received now: they leave after the
        latency, behind everything heard before, like note-offs the player sent."""
        with self._state:
            messages = self.buffer.held()
            now = self.clock()
            for message in messages:
                self.buffer.receive(message, now)
            self._state.notify_all()
        return len(messages)

    def release(self) -> int:
        """Note-offs for every note still sounding at the output."""
        with self._sending:
            with self._state:
                messages = self.buffer.release()
            for message in messages:
                self._send(message)
        return len(messages)

    def snapshot(self) -> dict:
        """Counters for status and stats replies."""
        with self._state:
            counts = dict(vars(self.buffer.counts))
            counts["queued"] = len(self.buffer.queue)
            counts["sounding"] = self.buffer.sounding()
        counts.update(self.timings.summary())
        counts["margin_ms"] = round(self.margin() * 1000, 3)
        return counts
