"""A style whose inference never returns, against a real daemon on JACK (issue 36, items
1-2): `ctl use` of one is refused in good time and control keeps answering; one that hangs
only on some notes is dropped by the watchdog while every note still leaves; SIGTERM stops
the daemon cleanly either way."""

import time

import pytest
from hostile import hanging
from jack import jack_server

from humanizer.daemon.harness import Daemon, Probe
from humanizer.daemon.stylemap import PROBE_DEADLINE
from humanizer.daemon.watchdog import STALL_SECONDS

pytestmark = pytest.mark.jack
pytest.importorskip("onnx")


def test_ctl_use_of_a_style_that_never_returns_is_refused_and_control_answers(tmp_path):
    spin = hanging(tmp_path / "spin.onnx", "spin", always=True)
    with jack_server():
        daemon = Daemon("--latency", "250ms")
        try:
            started = time.monotonic()
            reply = daemon.ask({"cmd": "use", "style": str(spin)},
                               timeout=PROBE_DEADLINE + 5)
            assert not reply["ok"] and "did not return within 5 s: refused" in reply["error"]
            assert time.monotonic() - started < PROBE_DEADLINE + 3
            status = daemon.ask({"cmd": "status"}, timeout=2)
            assert status["styles"]["default"] == "pop"  # the old style plays on
        finally:
            code, printed = daemon.stop(timeout=10)
    assert code == 0 and "humanizer: stopped: " in printed


def test_a_style_that_hangs_on_some_notes_is_dropped_and_every_note_leaves(tmp_path):
    top = hanging(tmp_path / "top.onnx", "top")  # passes its load check: no top key there
    with jack_server():
        daemon = Daemon("--latency", "250ms", "--style", str(top), "--variation", "0")
        probe = Probe()
        try:
            probe.connect()
            for pitch in (60, 108, 62, 64):
                probe.send([0x90, pitch, 70])
                time.sleep(0.05)
                probe.send([0x80, pitch, 0])
                time.sleep(0.2)
            deadline = time.monotonic() + STALL_SECONDS + 5
            status = daemon.ask({"cmd": "status"}, timeout=2)
            while status["styles"]["default"] != "pop" and time.monotonic() < deadline:
                time.sleep(0.2)
                status = daemon.ask({"cmd": "status"}, timeout=2)
            assert status["styles"]["default"] == "pop"  # dropped, its channels back
            back = probe.wait_for(8, timeout=5)
            ons = [m for _, m in back if m[0] & 0xF0 == 0x90 and m[2] > 0]
            assert sorted(m[1] for m in ons) == [60, 62, 64, 108]  # none lost
            probe.send([0x90, 108, 70])  # the new style plays the top key
            probe.send([0x80, 108, 0])
            assert len(probe.wait_for(10, timeout=3)) == 10
        finally:
            probe.close()
            code, printed = daemon.stop(timeout=15)
    assert code == 0 and "humanizer: stopped: " in printed
    assert "style 'top' stalled in an inference" in printed
    assert "terminate called" not in printed
