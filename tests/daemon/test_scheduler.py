"""The scheduler's threads and the model: live equals offline, late notes leave on time."""

import time

import numpy as np
from messages import note_off, note_on

from humanizer.daemon.scheduler import Scheduler
from humanizer.daemon.settings import Settings
from humanizer.daemon.stylemap import StyleMap
from humanizer.engine import heard_ahead
from humanizer.notes import Note
from humanizer.offline import humanize_part
from humanizer.output import OutputSettings


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def grid_part(count: int = 60, seed: int = 3) -> list[Note]:
    """Notes on a 100 ms grid (frame edges at 50 fps), lengths a multiple of 100 ms."""
    rng = np.random.default_rng(seed)
    notes, start = [], 0.0
    for _ in range(count):
        start += 0.1 * rng.integers(1, 4)
        length = 0.1 * rng.integers(1, 6)
        notes.append(Note(int(rng.integers(40, 90)), int(rng.integers(50, 100)),
                          round(start, 3), round(start + length, 3)))
    return notes


def test_live_velocities_equal_the_offline_latency_emulation():
    """Predicting each note exactly when it is due, from what was heard by then, gives
    what `humanize --latency` computes offline for the same notes."""
    latency, strength = 0.5, 0.8
    styles = StyleMap("piano")
    clock = FakeClock()
    scheduler = Scheduler(styles, lambda m: None, Settings(latency=latency, strength=strength),
                          clock=clock)
    notes = grid_part()
    events = sorted([(n.start, 1, note_on(n.pitch, n.velocity)) for n in notes]
                    + [(n.end, 0, note_off(n.pitch)) for n in notes])
    received, sent = 0, []
    for due in sorted({n.start + latency for n in notes}):
        while received < len(events) and events[received][0] <= due + 1e-9:
            scheduler.receive(events[received][2], events[received][0])
            received += 1
        clock.now = due
        scheduler.predict(scheduler._jobs(scheduler.buffer.claim(due + 1e-9)),
                          scheduler.settings)
        sent += scheduler.buffer.pop_due(due + 1e-9)
    live = [m[2] for m in sent if m[0] == 0x90 and m[2] > 0]
    offline, _ = humanize_part(styles.playing(0)[0], notes, OutputSettings(strength=strength),
                               heard_ahead(latency))
    assert scheduler.buffer.counts.late == 0
    assert live == offline.tolist()
    assert live != [n.velocity for n in notes]  # the model did change them


class SlowEngine:
    """Stands in for a model that cannot keep up."""

    def __init__(self, seconds: float):
        from humanizer.contract import Contract

        self.seconds = seconds
        self.contract = Contract(name="slow")

    def hears(self, note):
        return note

    def predict_parts(self, parts, lookahead):
        time.sleep(self.seconds)
        raise RuntimeError("too slow anyway")


class FakeStyles:
    def __init__(self, engine):
        self.engine = engine

    def playing(self, channel):
        return self.engine, list(range(16))


def test_slow_inference_never_delays_output():
    """Notes leave on time with their own velocity when the model is late or fails."""
    engine = SlowEngine(0.05)
    sent: list[tuple[float, list[int]]] = []
    scheduler = Scheduler(FakeStyles(engine), lambda m: sent.append((time.monotonic(), m)),
                          Settings(latency=0.05))
    scheduler.start()
    try:
        received = []
        for i in range(40):
            now = time.monotonic()
            scheduler.receive(note_on(40 + i, 64 + i), now)
            received.append(now)
            time.sleep(0.01)
        time.sleep(0.3)
    finally:
        scheduler.stop()
    assert [m for _, m in sent] == [note_on(40 + i, 64 + i) for i in range(40)]
    delays = np.array([t - r - 0.05 for (t, _), r in zip(sent, received)])
    assert np.median(delays) < 0.003 and delays.max() < 0.02
    assert scheduler.buffer.counts.late == 40


def test_threads_keep_order_and_count_of_a_burst():
    sent: list[list[int]] = []
    styles = StyleMap("piano")
    scheduler = Scheduler(styles, sent.append, Settings(latency=0.05))
    scheduler.start()
    try:
        burst = []
        for i in range(3000):
            message = note_on(21 + i % 88, 1 + i % 127) if i % 3 == 0 else [0xB0, i % 128, i % 97]
            burst.append(message)
        now = time.monotonic()
        for message in burst:
            scheduler.receive(message, now)
        deadline = time.monotonic() + 5
        while len(sent) < len(burst) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        scheduler.stop()
    assert len(sent) == len(burst)
    assert [m[:2] for m in sent] == [m[:2] for m in burst]
    assert [m for m in sent if m[0] == 0xB0] == [m for m in burst if m[0] == 0xB0]

