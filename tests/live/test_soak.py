"""Soak: the daemon on a real JACK server under a dense, realistic stream with bursts of
1000 notes, while a control client hot-swaps styles, toggles bypass and strength and sends
malformed requests every second. Nothing may be lost, duplicated or reordered, no note may
be left sounding, and the daemon's memory must not grow.

Every message carries a tag: note-offs count up in their release velocity and a CC 20 per
step counts the steps, so the output (note-on velocities aside, which the model sets) must
equal the input message for message.

Server: a private dummy server with 256-frame periods (5.3 ms). At 64 frames this 2-vCPU
VM's dummy backend xruns dozens of times a second once five clients run (measured: 85
"client was not finished" in 6 s of a light stream, 0 at 256 frames), and JACK drops an
xrunning client's MIDI for that period - a loss inside JACK that would hide the daemon's.
The JACK-server-goes-away case of an idle daemon is in test_daemon_jack.py; here it
happens mid-stream.

Short variants (CI): 20 s of streaming, and 20 s of 16 channels at over 500 notes/s with
faults (hostile model swaps, oversized requests, raw bytes on the control port). Long, with
the faults: `HUMANIZER_SOAK_SECONDS=600 pytest -m slow tests/live/test_soak.py -k long -s`.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from control_client import control_loop, hostile_models
from sequences import (
    first_difference,
    identity,
    in_order_subsequence,
    jack_repeats,
    not_in_order,
    unbalanced,
)

from humanizer.daemon.harness import (
    DAEMON_IN,
    DAEMON_OUT,
    Daemon,
    Listener,
    Probe,
    connect,
    wait_until,
)
from humanizer.daemon.memory import memory_mb

LATENCY = 0.5
PERIOD = 1024  # frames: at 256 this slower 2-core VM's dummy server misses periods
STEP = 0.020  # seconds between chords of the part
TAG_CC = 20
BURST_NOTES = 1000
BURST_EVERY = 10.0  # seconds; the first burst comes at 4 s
SHORT_SECONDS = 20.0
RSS_TOLERANCE_MB = 6.0  # see test_soak
STALL_STEPS = 2e6  # a stalling style's loop: ~4 s on an idle core (the watchdog: 2 s)


def stream(seconds: float, seed: int = 0, channels: int = 1,
           chord: tuple[int, int] = (3, 6)) -> list[tuple[float, list[int]]]:
    """(time, message) of a dense piano part with some drums on channel 10: every 20 ms a
    chord of 3-6 notes (~225 notes/s) lasting 30-400 ms, a CC 20 tag per chord, the
    sustain pedal every 2 s, and bursts of 1000 short notes every 10 s. With `channels`
    16 the chord's notes go to any channel (a whole arrangement)."""
    rng = random.Random(seed)
    events: list[tuple[float, int, list[int]]] = []  # (time, order, message)

    def add(at: float, message: list[int]) -> None:
        events.append((round(at, 6), len(events), message))

    for step in range(int(seconds / STEP)):
        at = step * STEP
        add(at, [0xB0, TAG_CC, 0])
        if step % 100 == 0:
            add(at, [0xB0, 64, 127 if step % 200 == 0 else 0])
        for _ in range(rng.randint(*chord)):
            channel = 9 if rng.random() < 0.1 else rng.randrange(channels)
            pitch = rng.randint(35, 50) if channel == 9 else rng.randint(21, 108)
            add(at, [0x90 | channel, pitch, rng.randint(40, 110)])
            add(at + rng.uniform(0.03, 0.4), [0x80 | channel, pitch, 0])
    burst = 4.0
    while burst < seconds:
        for i in range(BURST_NOTES):
            pitch = 21 + (i * 7) % 88
            add(burst, [0x90, pitch, 90])
            add(burst, [0x80, pitch, 0])
        burst += BURST_EVERY
    ordered = [m for _, _, m in sorted(events, key=lambda e: (e[0], e[1]))]
    times = [t for t, _, _ in sorted(events, key=lambda e: (e[0], e[1]))]
    return list(zip(times, tag(ordered)))


def tag(messages: list[list[int]]) -> list[list[int]]:
    """Number note-offs (release velocity) and the CC 20 steps, in sending order."""
    offs = steps = 0
    tagged = []
    for message in messages:
        if message[0] & 0xF0 == 0x80:
            message = [message[0], message[1], offs % 128]
            offs += 1
        elif message[:2] == [0xB0, TAG_CC]:
            message = [0xB0, TAG_CC, steps % 128]
            steps += 1
        tagged.append(message)
    return tagged


def play(send, events: list[tuple[float, list[int]]], stop: threading.Event | None = None):
    origin = time.monotonic()
    for at, message in events:
        wait = origin + at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if stop is not None and stop.is_set():
            return
        send(message)


def drained(daemon: Daemon, listener: Listener) -> bool:
    """The daemon has nothing left to send and the listener has all it sent (a message
    JACK dropped on the way keeps this false: the caller's deadline ends the wait)."""
    stats = daemon.ask({"cmd": "stats"})
    return stats["queued"] == 0 and len(listener.received) >= stats["events_out"]


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    """A private server (its xruns are counted), made the default while it runs."""
    from jack import own_server  # (not at the top: this file also runs as the player script)

    with own_server(PERIOD) as started:
        yield started


def sample_rss(pid: int, stop: threading.Event, samples: list) -> None:
    started = time.monotonic()
    while not stop.wait(0.5):
        figures = memory_mb(pid)
        if figures:
            samples.append((time.monotonic() - started, figures["rss_mb"]))


def soak(daemon, probe, server, seconds: float, hostile: list | None = None,
         stalling: str | None = None, hangup: bool = False) -> None:
    """Stream for `seconds` under control traffic (with `hostile` models: faults, and 16
    channels at over 500 notes a second; with a `stalling` style, a stalled predictor once
    a minute) and check every message came out once, in order; with `hangup`, end with
    SIGHUP (a closed terminal) and check everything was released."""
    events = stream(seconds, channels=16, chord=(8, 14)) if hostile else stream(seconds)
    notes = sum(1 for _, m in events if m[0] & 0xF0 == 0x90)
    assert notes / seconds >= (500 if hostile else 200)
    stop, replies, rss = threading.Event(), [], []
    helpers = [threading.Thread(target=control_loop,
                                args=(daemon, stop, replies, hostile, stalling)),
               threading.Thread(target=sample_rss, args=(daemon.process.pid, stop, rss))]
    for helper in helpers:
        helper.start()
    try:
        play(probe.out.send_message, events)
        received = probe.wait_for(len(events), timeout=LATENCY + 5)
    finally:
        stop.set()
        for helper in helpers:
            helper.join()
    assert daemon.process.poll() is None, "".join(daemon.printed)[-2000:]  # still alive
    # anything extra (a duplicate) has arrived once all the daemon sent has
    wait_until(lambda: drained(daemon, probe.back), timeout=2.0, interval=0.05)
    received = [m for _, m in probe.back.received]
    stats = daemon.ask({"cmd": "stats"})
    print(f"\nsoak {seconds:g}s: {len(events)} messages, {notes} notes "
          f"({notes / seconds:.0f}/s), late {stats['late']}, rejected {stats['rejected']}, "
          f"threads {stats['threads']}, inference p50 "
          f"{stats['inference_ms_p50']} ms p99 {stats['inference_ms_p99']} ms, "
          f"jack xruns {server.xruns()}, rss MB {[r for _, r in rss[::4]]}")
    sent = [identity(m) for _, m in events]
    out = [identity(m) for m in received]
    jack_lost = len(events) - stats["events_in"]  # never reached the daemon's input
    jack_lost_after = stats["events_out"] - len(received)  # sent, never delivered
    print(f"lost by JACK before the daemon: {jack_lost}, after it: {jack_lost_after} "
          f"(xruns {server.xruns()})")
    assert stats["events_out"] == stats["events_in"]  # the daemon itself lost nothing
    if out != sent:  # JACK dropped (or repeated) messages of a client that missed its period
        # - equal counts prove nothing then: a dropped period and a repeated one cancel
        # (seen in CI: 1 xrun, counts equal, message 17711 of 26896 another one)
        assert server.xruns() > 0, (f"{jack_lost + jack_lost_after} messages lost without an "
                                    f"xrun; {first_difference(sent, out)}")
        print(f"repeated by JACK: {jack_repeats(out) - jack_repeats(sent)}; "
              f"{first_difference(sent, out)}")
        assert in_order_subsequence(out, sent, repeats=True), not_in_order(out, sent, True)
    # a note-off JACK dropped before the daemon: the daemon holds the note (at most that
    # many); a dropped note-on leaves an orphan note-off, which it passes on and ignores.
    # One dropped after it: the listener holds the note, the daemon rightly does not.
    held = sum(count for count in unbalanced(received).values() if count > 0)
    assert stats["sounding"] <= jack_lost and held <= stats["sounding"] + jack_lost_after
    for request, good, reply in replies:
        assert reply["ok"] is good, (request, reply)
    assert len(replies) >= 5 * (seconds // 2)  # a swap loads a model: rounds take > 1 s
    check_memory(rss, seconds)
    if hostile:  # every thread alive (the reader's JACK callback has none to report)
        assert all(state["alive"] or name == "reader" for name, state
                   in daemon.ask({"cmd": "status"})["stats"]["threads"].items())
    if hangup:
        printed = hang_up(daemon, probe, jack_lost_after)
        if stalling:  # the stalled predictor was seen and its style dropped
            assert "style 'stall' " in printed and "dropped" in printed, printed[-2000:]


def hang_up(daemon, probe, jack_lost_after: int) -> str:
    """SIGHUP: the daemon stops cleanly - exit 0, no traceback - with every note it held
    released (but those whose note-off JACK dropped on the way) and the pedal up. What it
    printed (on stderr: its stdout may be gone)."""
    code, printed = daemon.stop(signal.SIGHUP)
    assert code == 0 and "Traceback" not in printed, printed[-2000:]

    def held() -> int:
        received = [m for _, m in probe.back.received]
        return sum(count for count in unbalanced(received).values() if count > 0)

    wait_until(lambda: held() <= jack_lost_after, timeout=3.0, interval=0.05)
    assert held() <= jack_lost_after
    pedal = [m[2] for _, m in probe.back.received if m[:2] == [0xB0, 64]]
    assert pedal[-1] == 0
    return printed


@contextlib.contextmanager
def daemon_behind_a_pipe(reader_seconds: float):
    """(daemon, probe, reader): the daemon printing into `serve | timeout N cat`, whose
    reader quits after `reader_seconds`: every line after that meets a broken pipe."""
    reader = subprocess.Popen(["timeout", f"{reader_seconds:g}", "cat"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    started = Daemon("--latency", f"{int(LATENCY * 1000)}ms", stdout=reader.stdin)
    reader.stdin.close()  # only the daemon holds the pipe's writing end
    probe = Probe()
    try:
        probe.connect()
        yield started, probe, reader
    finally:
        probe.close()
        started.stop(signal.SIGKILL)  # only if it is still running
        reader.kill()
        reader.wait()


def check_memory(rss: list[tuple[float, float]], seconds: float) -> None:
    """The daemon's own RSS (heap + libraries, JACK's shared memory excluded) stays below
    the 150 MB target, but for a transient: at most one sample in twenty (0.5 s apart)
    over it, none over 200 MB. The transient is an issue 36 miss, not understood: one
    sample at 137-181 MB a few seconds into a run, then back to 100-118 (the stop 43 code
    as well: 153.8 MB in one of two runs; docs/performance.md). In runs long enough to
    settle (>= 3 min) it must not grow: the last third's peak may exceed the middle
    third's by RSS_TOLERANCE_MB at most.

    Why settle first: the daemon rightly keeps 60 s of heard notes (HISTORY_SECONDS), and
    the allocator and onnxruntime grow in steps with the largest burst seen (measured:
    +25 MB at the first bursts of a 20 s run). Why 6 MB: a leak of 200 B per message at
    ~700 messages/s grows 8 MB a minute, so a 10-minute run shows it many times over."""
    peak = max((r for _, r in rss), default=0.0)
    over = [r for _, r in rss if r >= 150]
    print(f"rss peak {peak} MB; {len(over)} of {len(rss)} samples at 150 MB or more")
    assert len(over) <= len(rss) // 20 and peak < 200
    if seconds < 180:
        return
    third = len(rss) // 3
    middle = max(r for _, r in rss[third:2 * third])
    last = max(r for _, r in rss[2 * third:])
    print(f"rss peak middle third {middle} MB, last third {last} MB")
    assert last <= middle + RSS_TOLERANCE_MB


# -- the tests -------------------------------------------------------------------------------
def test_soak_short(daemon, probe, server):
    soak(daemon, probe, server, SHORT_SECONDS)


def faults_soak(server, folder, seconds: float) -> None:
    """16 channels at over 500 notes a second while hostile models are swapped in (one
    accepted that turns invalid, two refused, one that stalls the predictor for seconds),
    8 MB requests and raw bytes hit the control port, and the terminal the daemon prints
    to goes away halfway (a broken pipe); then SIGHUP."""
    pytest.importorskip("onnx")
    from hostile import hanging  # (not at the top: this file also runs as the player script)

    stall = hanging(folder / "stall.onnx", "stall", steps=STALL_STEPS)
    with daemon_behind_a_pipe(seconds / 2) as (daemon, probe, reader):
        soak(daemon, probe, server, seconds, hostile_models(folder), str(stall), hangup=True)
        assert reader.poll() is not None  # it had quit: the last lines met a broken pipe


def test_soak_with_faults_short(server, tmp_path):
    faults_soak(server, tmp_path, SHORT_SECONDS)


@pytest.mark.slow
def test_soak_long(server, tmp_path):
    """The documented long soak, faults included: `HUMANIZER_SOAK_SECONDS=600 pytest -m slow
    tests/live/test_soak.py -k long -s`."""
    faults_soak(server, tmp_path, float(os.environ.get("HUMANIZER_SOAK_SECONDS", 600)))


def test_stream_has_the_promised_shape():
    events = stream(15.0)
    times = [t for t, _ in events]
    assert times == sorted(times)
    notes = [m for _, m in events if m[0] & 0xF0 == 0x90]
    assert len(notes) / 15.0 >= 200 and unbalanced([m for _, m in events]) == {}
    assert Counter(times)[4.0] >= 2 * BURST_NOTES and Counter(times)[14.0] >= 2 * BURST_NOTES
    offs = [m[2] for _, m in events if m[0] & 0xF0 == 0x80]
    assert offs[:130] == [i % 128 for i in range(130)]


def player(seconds: float) -> subprocess.Popen:
    """This file run as a script: a separate JACK client playing the stream into the
    daemon, so that it can be killed."""
    process = subprocess.Popen([sys.executable, __file__, "play", str(seconds)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "playing", process.stderr.read()
    return process


def test_a_client_killed_mid_stream_leaves_no_note_sounding(daemon, server):
    back = Listener(f"soak-back-{os.getpid()}")
    connect([(DAEMON_OUT, back.port)])
    try:
        client = player(30.0)
        # mid-stream: ~2 s of the part heard (~225 notes/s), the first burst still ahead
        assert wait_until(lambda: daemon.ask({"cmd": "stats"})["notes_in"] >= 450, timeout=10)
        client.kill()
        client.wait()

        def released() -> bool:  # the daemon saw its source go and played out the rest
            return (drained(daemon, back) and daemon.ask({"cmd": "stats"})["sounding"] == 0
                    and unbalanced([m for _, m in back.received]) == {})

        wait_until(released, timeout=LATENCY + 3.0, interval=0.05)
        received = [m for _, m in back.received]
    finally:
        back.close()
    assert daemon.process.poll() is None
    ons = sum(1 for m in received if m[0] & 0xF0 == 0x90)
    assert ons > 300  # it was killed mid-stream, with notes held
    assert unbalanced(received) == {}
    status = daemon.ask({"cmd": "status"})
    assert status["ok"] and status["stats"]["sounding"] == 0


def test_sigterm_during_a_burst_releases_every_sounding_note(daemon, probe):
    messages = []
    for i in range(BURST_NOTES):
        pitch = 21 + i % 88
        messages.append([0x90, pitch, 90])
        if i % 3:  # every third note is held: only the shutdown can release it
            messages.append([0x80, pitch, 0])
    for message in messages:
        probe.send(message)
    probe.wait_heard(len(messages))  # ~0.1 s: most of the burst is still in the lookahead
    code, output = daemon.stop(signal.SIGTERM)
    received = [m for _, m in probe.wait_for(2 * BURST_NOTES, timeout=3)]
    assert code == 0, output
    assert sum(1 for m in received if m[0] == 0x90) == BURST_NOTES
    assert unbalanced(received) == {}


def test_jack_server_stopping_mid_stream_stops_the_daemon_with_an_error():
    """Its own server (killing the shared one would end the other tests)."""
    from jack import own_server

    with own_server(PERIOD, name="humanizer-soak-gone") as own:  # fixed name: see Server
        started = Daemon("--latency", "200ms")
        client = player(30.0)
        try:
            # notes streaming in and out (the latency is 200 ms)
            assert wait_until(lambda: started.ask({"cmd": "stats"})["notes_out"] >= 100,
                              timeout=10)
            own.kill()  # no goodbye, while notes stream in and out
            code, output = started.wait_exit(timeout=10)
        finally:
            client.kill()
            client.wait()
            started.stop(signal.SIGKILL)  # only if it hung; a no-op once it exited
    assert code == 1 and "JACK server went away" in output


if __name__ == "__main__" and sys.argv[1:2] == ["play"]:
    import rtmidi

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, f"soak-player-{os.getpid()}")
    out.open_virtual_port("out")
    connect([(f"soak-player-{os.getpid()}:out", DAEMON_IN)])
    print("playing", flush=True)
    play(out.send_message, stream(float(sys.argv[2])))
    json.dump({"done": True}, sys.stdout)
