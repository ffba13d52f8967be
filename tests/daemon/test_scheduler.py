"""The scheduler's threads and the model: live equals offline, late notes leave on time."""

import time

import numpy as np
import pytest
from messages import note_off, note_on

from humanizer.daemon.harness import wait_until
from humanizer.daemon.scheduler import Scheduler
from humanizer.daemon.settings import Settings
from humanizer.daemon.stylemap import StyleMap
from humanizer.engine import Hearing, heard_ahead
from humanizer.note_engine import MAX_STEPS
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
    scheduler = Scheduler(styles, lambda m: None,
                          Settings(latency=latency, strength=strength, variation=0.0),
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
        scheduler.predict_due(due)
        sent += scheduler.buffer.pop_due(due + 1e-9)
    live = [m[2] for m in sent if m[0] == 0x90 and m[2] > 0]
    offline, _, _ = humanize_part(styles.playing(0)[0], notes, OutputSettings(strength=strength),
                               heard_ahead(latency))
    assert scheduler.buffer.counts.late == 0
    assert live == offline.tolist()
    assert live != [n.velocity for n in notes]  # the model did change them


@pytest.mark.parametrize("chord, step, count", [(1, 0.125, 400), (5, 0.1, 160)])
def test_a_score_aware_style_hears_accents_against_the_level_record_as_offline(
        chord, step, count):
    """A note-level style is handed only its context's notes (at most MAX_STEPS of them
    before the earliest due: the dense case, 50 notes a second); the level its accents
    are heard against comes from the buffer's level record, reaching three level widths
    further back. On a long part with drawn dynamics (a swell and accents) that gives
    exactly what `humanize --latency` gives the whole file."""
    latency = 0.5
    styles = StyleMap("pop")
    engine = styles.playing(0)[0]
    contract = engine.contract
    clock = FakeClock()
    scheduler = Scheduler(styles, lambda m: None, Settings(latency=latency, variation=0.0),
                          clock=clock)
    rng = np.random.default_rng(11)
    notes = [Note(int(pitch), int(60 + 30 * np.sin(k / 40) + (25 if k % 7 == 0 else 0)),
                  k * step, k * step + 0.1)
             for k in range(count)
             for pitch in np.sort(rng.choice(np.arange(40, 90), chord, False))]
    events = sorted([(n.start, 1, note_on(n.pitch, n.velocity)) for n in notes]
                    + [(n.end, 0, note_off(n.pitch)) for n in notes])
    received, sent, spans, sizes = 0, [], [], []
    for due in sorted({n.start + latency for n in notes}):
        while received < len(events) and events[received][0] <= due + 1e-9:
            scheduler.receive(events[received][2], events[received][0])
            received += 1
        clock.now = due
        jobs = scheduler.predict_due(due)
        spans += [job.notes[-1].start - job.notes[0].start for job in jobs]
        sizes += [len(job.notes) for job in jobs]
        sent += scheduler.buffer.pop_due(due + 1e-9)
    live = [m[2] for m in sent if m[0] == 0x90 and m[2] > 0]
    offline, _, _ = humanize_part(engine, notes, OutputSettings(), heard_ahead(latency))
    assert contract.note_level and scheduler.buffer.counts.late == 0
    assert max(spans) <= contract.context_seconds + 1.0 + latency + step
    assert max(sizes) <= MAX_STEPS + 2 * chord * (latency / step + 1)
    assert live == offline.tolist()


def beat_part(count: int = 48, bpm: float = 120, seed: int = 5) -> list[Note]:
    """A quantized part on the 8th-note grid at `bpm`, chords now and then."""
    rng = np.random.default_rng(seed)
    eighth = 30 / bpm
    notes = []
    for step in range(count):
        start = step * eighth
        for pitch in rng.choice(np.arange(48, 84), size=int(rng.integers(1, 4)),
                                replace=False).tolist():
            notes.append(Note(int(pitch), 80, start, start + eighth * 0.9))
    return sorted(notes, key=lambda n: (n.start, n.pitch))


def play_with_clock(scheduler: Scheduler, clock: FakeClock, notes: list[Note], bpm: float,
                    latency: float, start: float, stop_at: float | None = None) -> list:
    """A DAW: Start at `start`, then clock on time, and its track L early (a note for song
    time s arrives at s - L); every note is predicted as the daemon would, just before it
    is due. Optionally Stop at song time `stop_at`. Returns what was sent. Before it plays,
    the DAW locates to the start (SPP 0): notes that arrive before the very first transport
    message have no meter."""
    timed = [(start - latency - 0.1, 0, [0xF2, 0, 0]), (start - 1e-6, 0, [0xFA])]
    timed += [(start + k * 60 / bpm / 24, 0, [0xF8])
              for k in range(int(((notes[-1].end + 1.0) * bpm / 60) * 24))]
    for n in notes:
        timed += [(start + n.start - latency, 2, note_on(n.pitch, n.velocity)),
                  (start + n.end - latency, 1, note_off(n.pitch))]
    if stop_at is not None:
        timed = [e for e in timed if e[0] < start + stop_at] + [(start + stop_at, 0, [0xFC])]
    timed.sort(key=lambda e: (e[0], e[1]))
    sent = []
    for at, _, message in timed:
        due = scheduler.buffer.next_prediction_due()
        while due is not None and due - 0.08 <= at:  # predict 80 ms before due
            clock.now = due - 0.08
            scheduler.predict_due(due)
            due = scheduler.buffer.next_prediction_due()
        clock.now = at
        sent += scheduler.buffer.pop_due(at)
        scheduler.receive(message, at)
    clock.now = start + 100
    sent += scheduler.buffer.pop_due(clock.now)
    return sent


def test_live_with_midi_clock_equals_offline_with_the_files_meter():
    """A score-aware style hears the meter from the DAW's clock live as offline from the
    file's tempo map: notes sent L early, clock on time, the same velocities."""
    from humanizer import values
    from humanizer.meter import of_positions

    latency, bpm = 0.5, 120
    styles = StyleMap("pop")
    clock = FakeClock()
    sent_live = []
    scheduler = Scheduler(styles, sent_live.append, Settings(latency=latency, variation=0.0),
                          clock=clock)
    notes = beat_part(bpm=bpm)
    sent = play_with_clock(scheduler, clock, notes, bpm, latency, start=2.0)
    live = [m[2] for m in sent if m[0] == 0x90 and m[2] > 0]
    quarters = np.array([n.start * bpm / 60 for n in notes])
    offline, _, _ = humanize_part(styles.playing(0)[0], notes, OutputSettings(),
                               heard_ahead(latency),
                               meter=of_positions(quarters, values.meter("4/4")))
    unknown, _, _ = humanize_part(styles.playing(0)[0], notes, OutputSettings(),
                               heard_ahead(latency))
    assert scheduler.buffer.counts.late == 0
    assert live == offline.tolist()
    assert live != unknown.tolist()  # the meter did change them
    assert sent_live.count([0xF8]) > 100 and sent_live[:2] == [[0xF2, 0, 0], [0xFA]]  # thru
    clock.now = scheduler.transport.runs[-1].last()
    state = scheduler.transport_state()
    assert state["source"] == "clock" and state["bpm"] == 120 and state["meter"] == "4/4"
    beats = {place["position"].split(".", 1)[1] for place in state["recent"]}
    assert beats <= {f"{b}.{half}" for b in range(1, 5) for half in ("00", "50")}  # 8ths


def test_a_song_that_changes_meter_plays_live_as_the_file_with_those_changes():
    """`--meter "4/4 3/4@3 6/8@5"` live gives what the file with those time signatures
    gives offline - not the bars of one signature from bar 1."""
    from humanizer import values
    from humanizer.meter import at_ticks, of_positions

    latency, bpm, per_quarter = 0.5, 120, 480
    notes = beat_part(bpm=bpm)  # 24 quarters: bar 3 starts at 8, bar 5 at 14
    quarters = np.array([n.start * bpm / 60 for n in notes])
    changes = [(0, 4, 4), (8 * per_quarter, 3, 4), (14 * per_quarter, 6, 8)]
    styles = StyleMap("pop")
    offline, _, _ = humanize_part(styles.playing(0)[0], notes, OutputSettings(),
                               heard_ahead(latency),
                               meter=at_ticks(quarters * per_quarter, per_quarter, changes))
    in_one, _, _ = humanize_part(styles.playing(0)[0], notes, OutputSettings(),
                              heard_ahead(latency),
                              meter=of_positions(quarters, values.meter("4/4")))
    clock = FakeClock()
    scheduler = Scheduler(styles, lambda message: None,
                          Settings(latency=latency, variation=0.0,
                                   meter=values.meter("4/4 3/4@3 6/8@5")),
                          clock=clock)
    sent = play_with_clock(scheduler, clock, notes, bpm, latency, start=2.0)
    live = [m[2] for m in sent if m[0] == 0x90 and m[2] > 0]
    assert scheduler.buffer.counts.late == 0
    assert live == offline.tolist() and live != in_one.tolist()
    clock.now = scheduler.transport.runs[-1].last()
    state = scheduler.transport_state()
    assert state["meter"] == "4/4 3/4@3 6/8@5" and state["signature"] == "6/8"
    # 6/8 from quarter 14: bar 7 starts at 20, bar 8 at 23; the last eighth, at 23.5
    assert {place["position"].split(".")[0] for place in state["recent"]} == {"7", "8"}
    assert state["recent"][-1]["position"] == "8.2.00"


def test_stop_drops_what_waits_releases_what_sounds_and_nothing_plays_after():
    latency, bpm = 0.5, 120
    clock = FakeClock()
    passed = []
    scheduler = Scheduler(StyleMap("pop"), passed.append, Settings(latency=latency),
                          clock=clock)
    notes = beat_part(bpm=bpm)
    sent = play_with_clock(scheduler, clock, notes, bpm, latency, start=1.0, stop_at=3.1)
    stop = passed.index([0xFC])
    note_ons_out = [m for m in sent if m[0] == 0x90 and m[2] > 0]
    heard_by_stop = [n for n in notes if n.start - latency < 3.1]
    played_by_stop = [n for n in notes if n.start < 3.1]
    assert len(note_ons_out) == len(played_by_stop) < len(heard_by_stop)
    assert scheduler.buffer.counts.stopped == len(heard_by_stop) - len(played_by_stop)
    released = passed[:stop]
    assert [0xB0, 123, 0] in released and [0xB0, 64, 0] in released
    assert [0xB0, 120, 0] not in released  # no All Sound Off: the sound rings out
    assert scheduler.buffer.sounding() == 0 and not scheduler.buffer.queue


def test_a_start_while_playing_is_a_jump_and_drops_the_old_take():
    latency = 0.5
    clock = FakeClock()
    passed = []
    scheduler = Scheduler(StyleMap("pop"), passed.append, Settings(latency=latency),
                          clock=clock)
    scheduler.receive([0xFA], 0.0)
    for k in range(48):
        scheduler.receive([0xF8], k / 48)
    scheduler.receive(note_on(60, 80), 0.9)  # the old take's, due at 1.4
    clock.now = 1.0
    scheduler.receive([0xFA], 1.0)  # the DAW restarts from the top
    assert scheduler.buffer.counts.stopped == 1 and not scheduler.buffer.queue
    assert scheduler.transport.runs[-1].position == 0.0


def test_no_clock_thru_keeps_the_transport_back_and_still_follows_it():
    clock = FakeClock()
    passed = []
    scheduler = Scheduler(StyleMap("pop"), passed.append,
                          Settings(clock_thru=False), clock=clock)
    for message, at in [([0xF2, 8, 0], 0.0), ([0xFB], 0.5)] + [([0xF8], 0.5 + k / 48)
                                                               for k in range(30)]:
        scheduler.receive(message, at)
    assert passed == []
    clock.now = 0.5 + 24 / 48  # SPP 8 sixteenths (two quarters), then a quarter of clock
    assert scheduler.transport_state()["position"] == "1.4.00"
    assert scheduler.snapshot()["events_in"] == 32 and scheduler.snapshot()["events_out"] == 0


class SlowEngine:
    """Stands in for a model that cannot keep up."""

    def __init__(self, seconds: float):
        from humanizer.contract import Contract

        self.seconds = seconds
        self.contract = Contract(name="slow")

    hearing = Hearing(reach=1.0, level_reach=1.0, most=None)

    def hears(self, note):
        return note

    def hears_keys(self, keys):
        return np.ones(len(keys), dtype=bool)

    def predict_parts(self, parts, lookahead, meters=None, levels=None, earlier=None):
        time.sleep(self.seconds)
        raise RuntimeError("too slow anyway")


class FakeStyles:
    def __init__(self, engine):
        self.engine = engine

    def playing(self, channel):
        return self.engine, list(range(16))

    def drop(self, engine):  # a style that keeps failing is dropped (StyleMap.drop)
        return "no style to go back to"


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
            time.sleep(0.01)  # a note every 10 ms
        wait_until(lambda: len(sent) == 40, 2.0)
        restarts = scheduler.supervisor.state()["predictor"]["restarts"]
    finally:
        scheduler.stop()
    assert restarts == 0, scheduler.supervisor.state()  # late: the model was, not a crash
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
        wait_until(lambda: len(sent) == len(burst), 5.0)
    finally:
        scheduler.stop()
    assert len(sent) == len(burst)
    assert [m[:2] for m in sent] == [m[:2] for m in burst]
    assert [m for m in sent if m[0] == 0xB0] == [m for m in burst if m[0] == 0xB0]

