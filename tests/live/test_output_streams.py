"""What the daemon prints can fail, and the music must not (issue 36, item 4): a real daemon
on JACK whose stdout is a full disk (/dev/full: every write fails with ENOSPC, as on a
filled tmpfs) or a pipe whose reader has gone (`serve | head -1`: head quits after the
banner). It goes on humanizing, says what it must on stderr without a traceback, and on
SIGTERM plays out, releases the note it holds, lifts the pedal and exits 0."""

from __future__ import annotations

import signal
import subprocess

import pytest
from jack import jack_server

from humanizer.daemon.harness import Daemon, Probe, wait_until

pytestmark = pytest.mark.jack


def play_through(daemon: Daemon, probe: Probe) -> list[list[int]]:
    """A program change (the daemon says it gives channel 1 the bass style: a line on its
    stdout), the pedal down, a held note and two short ones; then SIGTERM. What came out."""
    probe.send([0xC0, 33])  # GM program 34: a bass
    assert wait_until(lambda: roles(daemon).get("1") == "bass", timeout=5), roles(daemon)
    probe.send([0xB0, 64, 127])
    probe.send([0x90, 40, 90])  # held: only the shutdown releases it
    for pitch in (43, 45):
        probe.send([0x90, pitch, 90])
        probe.send([0x80, pitch, 0])
    assert len(probe.wait_for(7, timeout=5)) == 7  # all played out after the lookahead
    assert daemon.process.poll() is None  # alive, though its every line failed
    code, printed = daemon.stop(signal.SIGTERM)
    assert code == 0, printed
    assert "Traceback" not in printed and "Error" not in printed, printed
    wait_until(lambda: released([m for _, m in probe.back.received]), timeout=3)
    return [m for _, m in probe.back.received]


def roles(daemon: Daemon) -> dict:
    return daemon.ask({"cmd": "status"})["styles"]["roles"]


def released(messages: list[list[int]]) -> bool:
    """The held note got its note-off and the pedal went up."""
    return [0x80, 40, 0] in messages and [0xB0, 64, 0] in messages


def test_a_full_disk_under_stdout_does_not_stop_the_music():
    with jack_server(), open("/dev/full", "w") as full:
        daemon = Daemon("--latency", "200ms", stdout=full)
        probe = Probe()
        try:
            probe.connect()
            messages = play_through(daemon, probe)
        finally:
            probe.close()
            daemon.stop(signal.SIGKILL)
    ons = [m[1] for m in messages if m[0] == 0x90 and m[2] > 0]
    assert ons == [40, 43, 45] and released(messages)


def test_a_pipe_whose_reader_quit_does_not_stop_the_music():
    with jack_server():
        head = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        daemon = Daemon("--latency", "200ms", stdout=head.stdin)
        head.stdin.close()  # only the daemon holds the pipe's writing end now
        probe = Probe()
        try:
            assert "listening" in head.stdout.read()  # head printed the banner and quit
            assert head.wait(timeout=5) == 0
            probe.connect()
            messages = play_through(daemon, probe)  # its next line meets a broken pipe
        finally:
            probe.close()
            daemon.stop(signal.SIGKILL)
    ons = [m[1] for m in messages if m[0] == 0x90 and m[2] > 0]
    assert ons == [40, 43, 45] and released(messages)
