"""The daemon's parts without JACK: buffer, scheduler, settings, control parsing, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from humanizer.daemon.buffer import LookaheadBuffer
from humanizer.daemon.cli import channel_styles, request_of
from humanizer.daemon.control import (
    ControlServer,
    RequestError,
    events_address,
    is_loopback,
    parse_request,
)
from humanizer.daemon.ports import ArrivalClock
from humanizer.daemon.scheduler import Scheduler
from humanizer.daemon.settings import Settings
from humanizer.daemon.stylemap import StyleMap
from humanizer.errors import HumanizerError
from humanizer.notes import Note


def note_on(pitch: int, velocity: int, channel: int = 0) -> list[int]:
    return [0x90 | channel, pitch, velocity]


def note_off(pitch: int, channel: int = 0) -> list[int]:
    return [0x80 | channel, pitch, 0]


# -- buffer ------------------------------------------------------------------------------------
def test_every_event_leaves_after_the_latency_in_arrival_order():
    buffer = LookaheadBuffer(latency=0.5)
    messages = [note_on(60, 90), [0xB0, 64, 127], note_off(60), [0xE0, 0, 64], [0xC0, 5]]
    for i, message in enumerate(messages):
        buffer.receive(message, 1.0 + i * 0.01)
    assert buffer.pop_due(1.499) == []
    assert [e.due for e in buffer.queue] == pytest.approx([1.5 + i * 0.01 for i in range(5)])
    out = buffer.pop_due(2.0)
    assert [m[0] for m in out] == [m[0] for m in messages]
    assert out[1:] == messages[1:]  # everything but note-ons passes unchanged
    assert buffer.counts.late == 1  # the note-on had no prediction: input velocity, late
    assert out[0] == note_on(60, 90)


def test_a_shorter_latency_never_reorders_or_loses_events():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(60, 80), 0.0)
    buffer.latency = 0.1
    buffer.receive(note_off(60), 0.05)  # would be due at 0.15, before its note-on
    buffer.receive([0xB0, 1, 2], 1.0)  # later events get the new latency
    dues = [e.due for e in buffer.queue]
    assert dues == sorted(dues)
    assert dues[1] == pytest.approx(0.5) and dues[2] == pytest.approx(1.1)
    assert [m[0] & 0xF0 for m in buffer.pop_due(10)] == [0x90, 0x80, 0xB0]


def test_arrival_times_never_go_backwards():
    buffer = LookaheadBuffer(latency=0.2)
    buffer.receive(note_on(60, 80), 1.0)
    buffer.receive(note_off(60), 0.9)
    assert buffer.queue[1].due >= buffer.queue[0].due


def test_notes_off_the_keyboard_pass_untouched_and_are_not_predicted():
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive(note_on(10, 33), 0.0)
    buffer.receive(note_on(120, 44), 0.0)
    assert buffer.next_prediction_due() is None
    assert buffer.pop_due(1.0) == [note_on(10, 33), note_on(120, 44)]
    assert buffer.counts.late == 0


def test_predicted_velocity_replaces_the_input_unless_bypassed():
    for bypass, expected in ((False, 111), (True, 70)):
        buffer = LookaheadBuffer(latency=0.1)
        buffer.receive(note_on(60, 70), 0.0)
        [event] = buffer.claim(until=1.0)
        event.velocity = 111
        assert buffer.pop_due(1.0, bypass=bypass) == [note_on(60, expected)]


def test_note_off_ends_the_earliest_open_note_of_its_pitch():
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive(note_on(60, 70), 0.0)
    buffer.receive(note_on(60, 71), 0.1)
    buffer.receive([0x90, 60, 0], 0.2)  # note-on with velocity 0 is a note-off
    first, second = buffer.heard[0]
    assert first.end == pytest.approx(0.2) and second.end > 1e6


def test_panic_drops_the_queue_and_releases_every_sounding_note():
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive(note_on(60, 70), 0.0)
    buffer.receive(note_on(35, 70, channel=9), 0.0)
    buffer.receive(note_on(62, 70), 0.5)  # still queued at panic time
    buffer.pop_due(0.2)
    assert buffer.sounding() == 2
    messages = buffer.panic()
    assert note_off(60) in messages and note_off(35, channel=9) in messages
    assert [m for m in messages if m[0] & 0xF0 == 0xB0] == [[0xB0 | c, 123, 0] for c in range(16)]
    assert not buffer.queue and buffer.sounding() == 0
    assert buffer.pop_due(10) == []


def test_release_sends_one_note_off_per_note_on_still_sounding():
    buffer = LookaheadBuffer(latency=0.0)
    for t in (0.0, 0.1):
        buffer.receive(note_on(64, 70), t)
    buffer.receive(note_off(64), 0.2)
    buffer.pop_due(1.0)
    assert buffer.release() == [note_off(64)]
    assert buffer.release() == []


def test_arrival_clock_takes_out_the_poll_delay():
    clock = ArrivalClock()
    true_times = np.arange(20) * 0.05 + 100.0
    polls = true_times + np.where(np.arange(20) % 3 == 0, 0.004, 0.0001)  # late polls
    deltas = np.diff(true_times, prepend=true_times[0])
    estimates = [clock.arrival(d, seen) for d, seen in zip(deltas, polls)]
    assert abs(estimates[-1] - true_times[-1]) < 0.0005
    assert all(e >= t - 1e-9 for e, t in zip(estimates, true_times))


# -- scheduler and model -------------------------------------------------------------------------
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
    offline = styles.engine_for(0).humanize(notes, strength, lookahead=latency)
    assert scheduler.buffer.counts.late == 0
    assert live == offline
    assert live != [n.velocity for n in notes]  # the model did change them


class SlowEngine:
    """Stands in for a model that cannot keep up."""

    def __init__(self, seconds: float):
        from humanizer.contract import Contract

        self.seconds = seconds
        self.contract = Contract(name="slow")

    def predict_due(self, notes, due, lookahead):
        time.sleep(self.seconds)
        raise RuntimeError("too slow anyway")


class FakeStyles:
    def __init__(self, engine):
        self.engine = engine

    def style_of(self, channel):
        return "slow"

    def part(self, style):
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


# -- settings, control, command line ---------------------------------------------------------------
def test_settings_validate_values():
    settings = Settings()
    assert settings.changed("strength", 0.25).strength == 0.25
    assert settings.changed("latency", "250ms").latency == 0.25
    assert settings.changed("velocity_min", 20.0).velocity_min == 20
    for key, value in [("strength", 2), ("strength", "1"), ("strength", True),
                       ("latency", 0.5), ("latency", "-1ms"), ("latency", "10s"),
                       ("velocity_min", 0), ("velocity_max", 1.5), ("bypass", 1),
                       ("seed", -1), ("colour", 1), ("strength", float("nan"))]:
        with pytest.raises(HumanizerError):
            settings.changed(key, value)
    with pytest.raises(HumanizerError):
        settings.changed("velocity_min", 100).changed("velocity_max", 50)


@pytest.mark.parametrize("frames", [
    [b"\xff\xfe\x00garbage"], [b"[" * 50000 + b"]" * 50000], [b"[1, 2]"], [b'{"cmd": 5}'],
    [b"{}"], [b'{"cmd": "status"}', b"more"], [b"x" * (65 * 1024)], [b"nan"], [b""]])
def test_bad_requests_raise_request_errors(frames):
    with pytest.raises(RequestError):
        parse_request(frames)


def test_addresses():
    for address in ("tcp://127.0.0.1:5555", "tcp://localhost:1", "tcp://[::1]:9", "ipc:///tmp/h"):
        assert is_loopback(address)
    for address in ("tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://192.168.1.2:5555",
                    "tcp://127.0.0.1.evil.com:5"):
        assert not is_loopback(address)
    assert events_address("tcp://127.0.0.1:5555") == "tcp://127.0.0.1:5556"
    assert events_address("ipc:///tmp/h") == "ipc:///tmp/h.events"


def test_remote_control_is_refused_without_allow_remote_and_keys(tmp_path):
    with pytest.raises(HumanizerError, match="loopback"):
        ControlServer("tcp://0.0.0.0:5599")
    with pytest.raises(HumanizerError, match="curve-keys"):
        ControlServer("tcp://0.0.0.0:5599", allow_remote=True)
    with pytest.raises(HumanizerError, match="server.key_secret"):
        ControlServer("tcp://0.0.0.0:5599", allow_remote=True, curve_keys=str(tmp_path))


def test_busy_control_address_is_a_clear_error():
    from humanizer.daemon.harness import free_port_pair

    address = f"tcp://127.0.0.1:{free_port_pair()}"
    first = ControlServer(address)
    try:
        with pytest.raises(HumanizerError, match="busy"):
            ControlServer(address)
    finally:
        first.close()


def test_control_server_answers_everything_and_survives(tmp_path):
    import zmq

    address = f"ipc://{tmp_path}/control"
    server = ControlServer(address)
    stop = threading.Event()

    def handle(request):
        if request["cmd"] == "boom":
            raise ValueError("bug")
        return {"ok": True, "echo": request["cmd"]}

    thread = threading.Thread(target=lambda: [server.serve(handle, 0.05)
                                              for _ in iter(stop.is_set, True)])
    thread.start()
    client = zmq.Context.instance().socket(zmq.REQ)
    client.setsockopt(zmq.RCVTIMEO, 3000)
    client.setsockopt(zmq.LINGER, 0)
    client.connect(address)
    try:
        for request in (b"\x00\x01", b"[[[[[[" * 5000, b'{"cmd": "boom"}', b"x" * 70000):
            client.send(request)
            assert json.loads(client.recv())["ok"] is False
        client.send(b'{"cmd": "hello"}')
        assert json.loads(client.recv()) == {"ok": True, "echo": "hello"}
    finally:
        client.close(0)
        stop.set()
        thread.join()
        server.close()


def test_channel_styles_count_channels_from_one():
    assert channel_styles(["10=drums", "1=piano"], style_given=True) == {9: "drums", 0: "piano"}
    for bad in ("0=drums", "17=drums", "x=drums", "10=", "10"):
        with pytest.raises(HumanizerError):
            channel_styles([bad], style_given=True)


def test_ctl_requests():
    import argparse

    def args(**values):
        return argparse.Namespace(**values)

    assert request_of(args(action="set", key="strength", value="0.5")) == {
        "cmd": "set", "key": "strength", "value": 0.5}
    assert request_of(args(action="set", key="latency", value="250ms"))["value"] == "250ms"
    assert request_of(args(action="bypass", state="on")) == {"cmd": "bypass", "on": True}
    assert request_of(args(action="use", style="drums", channel=10)) == {
        "cmd": "use", "style": "drums", "channel": 10}


def run_cli(*arguments: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "humanizer.cli", *arguments],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("latency", ["500", "-1ms", "abc"])
def test_serve_refuses_bad_latency_in_one_line(latency):
    result = run_cli("serve", "--latency", latency)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("options", [["--style", "no-such-style"],
                                     ["--channel-style", "17=drums"],
                                     ["--channel-style", "10=no-such-style"]])
def test_serve_refuses_unknown_style_or_channel(options):
    result = run_cli("serve", "--control", "ipc:///tmp/humanizer-test-bad", *options)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("humanizer: ") and result.stderr.count("\n") == 1


def test_ctl_without_daemon_fails_fast_and_clearly():
    from humanizer.daemon.harness import free_port_pair

    started = time.monotonic()
    result = run_cli("ctl", "--control", f"tcp://127.0.0.1:{free_port_pair()}",
                     "--timeout", "300ms", "status")
    assert result.returncode != 0
    assert "no humanizer daemon answered" in result.stderr
    assert result.stderr.count("\n") == 1
    assert time.monotonic() - started < 10


def test_runtime_modules_never_import_training_libraries():
    code = ("import sys, humanizer.cli, humanizer.daemon.cli, humanizer.daemon.service, "
            "humanizer.daemon.stylemap\n"
            "from humanizer.daemon.stylemap import load_checked\n"
            "load_checked('piano')\n"
            "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnx') if m in sys.modules]\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_remote_control_needs_a_listed_client_key(tmp_path):
    import zmq.auth

    from humanizer.daemon.cli import ask
    from humanizer.daemon.harness import free_port_pair

    (tmp_path / "clients").mkdir()
    zmq.auth.create_certificates(str(tmp_path), "server")
    zmq.auth.create_certificates(str(tmp_path), "client")
    (tmp_path / "clients" / "client.key").write_bytes((tmp_path / "client.key").read_bytes())
    port = free_port_pair()
    server = ControlServer(f"tcp://0.0.0.0:{port}", allow_remote=True, curve_keys=str(tmp_path))
    stop = threading.Event()
    thread = threading.Thread(target=lambda: [server.serve(lambda r: {"ok": True}, 0.05)
                                              for _ in iter(stop.is_set, True)])
    thread.start()
    try:
        address = f"tcp://127.0.0.1:{port}"
        assert ask(address, {"cmd": "status"}, 3, str(tmp_path)) == {"ok": True}
        with pytest.raises(HumanizerError, match="no humanizer daemon answered"):
            ask(address, {"cmd": "status"}, 0.5)  # no keys: no answer
    finally:
        stop.set()
        thread.join()
        server.close()


# -- timing ------------------------------------------------------------------------------------
def placed(buffer: LookaheadBuffer, shifts: dict[int, float], velocity: int = 70) -> None:
    """Predict every note-on waiting: velocity, and the shift given for its pitch."""
    while buffer.unclaimed:
        event = buffer.unclaimed.popleft()
        buffer.place(event, velocity, shifts.get(event.note.pitch, 0.0))


def leave_times(buffer: LookaheadBuffer, until: float, bypass: bool = False):
    """(time, message) as a sender polling every millisecond would send them."""
    sent = []
    for tick in range(int(until * 1000) + 1):
        sent += [(tick / 1000, m) for m in buffer.pop_due(tick / 1000, bypass)]
    return sent


def test_timing_moves_a_note_on_and_its_note_off_and_nothing_else():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(36, 100), 0.0)
    buffer.receive([0xB0, 20, 1], 0.001)
    buffer.receive(note_on(38, 100), 0.010)
    buffer.receive(note_off(36), 0.05)
    buffer.receive(note_off(38), 0.06)
    buffer.receive([0xB0, 20, 2], 0.07)
    placed(buffer, {36: 0.02, 38: -0.03})
    sent = leave_times(buffer, 1.0)
    assert same_times(sent, [(0.48, note_on(38, 70)), (0.501, [0xB0, 20, 1]),
                             (0.52, note_on(36, 70)), (0.53, note_off(38)),
                             (0.57, note_off(36)), (0.57, [0xB0, 20, 2])])


def same_times(sent, expected) -> bool:
    """Same messages in the same order, each within the millisecond of polling."""
    assert [m for _, m in sent] == [m for _, m in expected]
    assert [t for t, _ in sent] == pytest.approx([t for t, _ in expected], abs=0.0011)
    return True


def test_timing_shifts_are_bounded_and_never_before_arrival():
    from humanizer.daemon.buffer import MAX_SHIFT

    buffer = LookaheadBuffer(latency=0.02)
    buffer.receive(note_on(40, 90), 0.0)  # 20 ms of latency: it can move 20 ms earlier only
    buffer.receive(note_on(41, 90), 0.0)
    placed(buffer, {40: -0.5, 41: 0.5})
    shifts = {e.message[1]: e.note.shift for e in buffer.queue}
    assert shifts == {40: pytest.approx(-0.02), 41: pytest.approx(MAX_SHIFT)}


def restruck_key():
    """A buffer holding two snare notes, the second struck as the first is released; and
    their note-on events, not yet placed."""
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(38, 90), 0.0)
    buffer.receive(note_off(38), 0.1)
    buffer.receive(note_on(38, 90), 0.1)
    buffer.receive(note_off(38), 0.2)
    first, second = buffer.unclaimed
    return buffer, first, second


def test_timing_never_starts_a_note_under_the_previous_one_on_its_key():
    buffer, first, second = restruck_key()
    buffer.place(first, 70, 0.01)
    buffer.place(second, 70, -0.03)  # would start 20 ms before the first one ends
    sent = leave_times(buffer, 1.0)
    assert [m[0] & 0xF0 for _, m in sent] == [0x90, 0x80, 0x90, 0x80]
    assert sent[1][0] <= sent[2][0] and second.note.shift == pytest.approx(0.01)


def test_a_note_not_moved_still_waits_for_the_previous_one_moved_later():
    buffer, first, second = restruck_key()
    buffer.place(first, 70, 0.03)  # its note-off now leaves at 0.63
    buffer.place(second, 70, 0.0)
    sent = leave_times(buffer, 1.0)
    assert [m[0] & 0xF0 for _, m in sent] == [0x90, 0x80, 0x90, 0x80]
    assert second.note.shift == pytest.approx(0.03)


def test_without_timing_overlapping_notes_of_a_key_stay_in_arrival_order():
    """Found by the soak: a note struck again before its previous note on the same key
    was released must not be moved to after that release (that reordered the stream)."""
    buffer = LookaheadBuffer(latency=0.5)
    messages = [(note_on(60, 90), 0.0), (note_on(60, 90), 0.1), (note_off(60), 0.13),
                (note_off(60), 0.3)]
    for message, at in messages:
        buffer.receive(message, at)
    placed(buffer, {})
    assert not buffer.moving
    assert [m for _, m in leave_times(buffer, 1.0)] == [note_on(60, 70), note_on(60, 70),
                                                       note_off(60), note_off(60)]


def test_bypass_moves_no_note_but_a_moved_note_keeps_its_length():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(36, 90), 0.0)
    buffer.receive(note_off(36), 0.1)
    buffer.receive(note_on(37, 90), 0.2)
    buffer.receive(note_off(37), 0.3)
    placed(buffer, {36: -0.03, 37: -0.03})
    sent = leave_times(buffer, 0.55)  # 36 leaves moved ...
    sent += [(t, m) for t, m in leave_times(buffer, 1.0, bypass=True) if t > 0.55]
    assert same_times(sent, [(0.47, note_on(36, 70)), (0.57, note_off(36)),  # so does its off
                             (0.7, note_on(37, 90)), (0.8, note_off(37))])  # bypass: none


def test_notes_never_placed_keep_no_chain_of_earlier_notes_alive():
    """Under overload notes are skipped, never placed: they must not each hold the one
    before them on their key (a chain through the whole session)."""
    buffer = LookaheadBuffer(latency=0.1)
    for i in range(200):
        buffer.receive(note_on(60, 90), i * 0.01)
        buffer.receive(note_off(60), i * 0.01 + 0.005)
        buffer.skip_past(i * 0.01)
        buffer.pop_due(i * 0.01)
    buffer.skip_past(10.0)
    buffer.pop_due(10.0)
    assert all(note.previous is None for note in buffer.heard[0])
