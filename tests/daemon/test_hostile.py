"""Hostile models and failing threads: the daemon never goes quiet while it looks healthy."""

import time

import pytest
from hostile import model
from messages import note_off, note_on

from humanizer.daemon.scheduler import MAX_STRIKES, Scheduler
from humanizer.daemon.settings import Settings
from humanizer.daemon.stylemap import StyleMap, load_checked
from humanizer.daemon.supervisor import MAX_RESTARTS, Supervisor
from humanizer.errors import HumanizerError

pytest.importorskip("onnx")


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def play(scheduler, clock, pitches, start=0.0, latency=0.5):
    """Each pitch as a quarter-second note; predict and send what is due, in order."""
    sent = []
    for i, pitch in enumerate(pitches):
        at = start + 0.25 * i
        scheduler.receive(note_on(pitch, 70), at)
        scheduler.receive(note_off(pitch), at + 0.2)
        clock.now = at + latency
        scheduler.predict_due(clock.now)
        sent += scheduler.buffer.pop_due(clock.now + 1e-9)
    return sent


def test_a_style_that_turns_invalid_later_plays_the_input_and_is_dropped(tmp_path):
    path = model(tmp_path / "later.onnx", "later")
    styles = StyleMap(str(path))  # the probe at load never plays the top key: accepted
    clock = FakeClock()
    scheduler = Scheduler(styles, lambda m: None, Settings(), clock=clock)
    sent = play(scheduler, clock, [60, 108, 108, 108, 60])
    ons = [m for m in sent if m[0] == 0x90]
    assert len(ons) == 5 and all(m[2] > 0 for m in ons)  # every note played, none lost
    assert [m[2] for m in ons[1:4]] == [70, 70, 70]  # the invalid ones: as they came in
    assert scheduler.buffer.counts.rejected >= MAX_STRIKES
    assert styles.default == "pop"  # dropped after MAX_STRIKES, back to a good style
    assert scheduler.events[-1][0] == "dropped"


def test_invalid_offsets_move_nothing_and_offline_refuses_with_one_line(tmp_path, capsys):
    from helpers import run

    path = model(tmp_path / "offsets.onnx", "offsets", nan_offsets=True)
    styles = StyleMap(str(path))
    clock = FakeClock()
    scheduler = Scheduler(styles, lambda m: None, Settings(timing=1.0), clock=clock)
    sent = play(scheduler, clock, [36, 108, 36])
    assert len([m for m in sent if m[0] == 0x90]) == 3
    part = tmp_path / "part.mid"
    from humanizer.notes import Note, midi_from_notes, write_atomic

    write_atomic(midi_from_notes([Note(108, 80, 0.0, 0.5), Note(60, 80, 0.5, 1.0)]), part)
    code, _, err = run(capsys, "humanize", part, "-o", tmp_path / "out.mid", "--style", path)
    assert code == 2 and "invalid numbers" in err and err.count("\n") == 1
    assert not (tmp_path / "out.mid").exists()


@pytest.mark.parametrize("fields, wrong_shape, message", [
    ({"fps": 1e6}, False, "fps"),
    ({"context_seconds": 1e5}, False, "context_seconds"),
    ({"gain": "loud"}, False, "gain"),
    ({"variation_scale": -1.0}, False, "variation_scale"),
    ({}, True, "output must be"),
])
def test_a_style_that_cannot_play_live_is_refused_before_it_plays(tmp_path, fields,
                                                                  wrong_shape, message):
    path = model(tmp_path / "bad.onnx", "bad", nan_on_top_key=False, wrong_shape=wrong_shape,
                 **fields)
    with pytest.raises(HumanizerError, match=message):
        load_checked(str(path))
    styles = StyleMap("piano")
    with pytest.raises(HumanizerError):
        styles.use(str(path))
    assert styles.default == "piano"  # the old one keeps playing


def test_a_failing_thread_is_restarted_then_given_up_on():
    supervisor = Supervisor()
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("boom")

    supervisor.start("flaky", flaky)
    supervisor.join()
    assert supervisor.state()["flaky"]["restarts"] == 2 and not supervisor.failed.is_set()

    def broken():
        raise RuntimeError("always")

    supervisor.start("broken", broken)
    deadline = time.monotonic() + 5
    while not supervisor.failed.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert supervisor.failed.is_set()
    assert supervisor.state()["broken"] == {"alive": False, "restarts": MAX_RESTARTS,
                                            "last_error": "RuntimeError: always"}


def test_the_predictor_survives_a_failure_outside_the_model():
    """Before, an error while building a batch (outside the predictor's try) killed the
    thread for good: every later note went late, reported nowhere."""
    styles = StyleMap("piano")
    sent = []
    scheduler = Scheduler(styles, sent.append, Settings(latency=0.1))
    real = scheduler._prepare
    failures = []

    def failing_once(snapshots):
        if not failures:
            failures.append(1)
            raise IndexError("a swap raced the predictor")
        return real(snapshots)

    scheduler._prepare = failing_once
    scheduler.start()
    try:
        for i in range(10):
            scheduler.receive(note_on(60 + i, 70), time.monotonic())
            time.sleep(0.05)
        deadline = time.monotonic() + 3
        while len(sent) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        scheduler.stop()
    state = scheduler.supervisor.state()["predictor"]
    assert state["restarts"] == 1
    assert len(sent) == 10 and scheduler.buffer.counts.predicted >= 8
    # the model plays again (a part's first notes, centred on little but themselves, move
    # little: note_engine.centre)
    assert any(m[2] != 70 for m in sent[-4:])



def test_a_style_that_raises_plays_the_input_counts_it_rejected_and_is_dropped(
        monkeypatch, capsys):
    """Issue 36, item 7: a raising style was dropped as 'invalid numbers' and its notes
    were not counted as rejected."""
    styles = StyleMap("lead")
    engine = styles.playing(0)[0]

    def broken(*args, **kwargs):
        raise RuntimeError("the graph broke")

    monkeypatch.setattr(engine, "predict_parts", broken)
    clock = FakeClock()
    scheduler = Scheduler(styles, lambda m: None, Settings(variation=0.0), clock=clock)
    sent = play(scheduler, clock, [60, 62, 64, 65])
    ons = [m for m in sent if m[0] == 0x90]
    assert [m[2] for m in ons] == [70, 70, 70, 70]  # each played as it came, on time
    assert scheduler.buffer.counts.rejected == MAX_STRIKES and scheduler.buffer.counts.late == 0
    assert styles.default == "pop" and scheduler.events[-1][0] == "dropped"
    assert "style 'lead' keeps failing: dropped" in capsys.readouterr().err
