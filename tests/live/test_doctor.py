"""`humanizer doctor` on a real JACK server and without one."""

import os
import subprocess
import sys

import pytest
from jack import jack_server

pytestmark = pytest.mark.jack


def doctor(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "humanizer.cli", "doctor", *arguments],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_doctor_says_serve_would_start_on_jack_with_its_ports_and_styles():
    with jack_server():
        result = doctor("--api", "jack")
    assert result.returncode == 0, result.stderr
    assert "ok  jack " in result.stdout and "a JACK server answers" in result.stdout
    assert "serve would use jack: humanizer-in:in and humanizer-out:out" in result.stdout
    assert "CC BY-NC-SA 4.0" in result.stdout and "serve would start" in result.stdout
    # the live-playing latency the README gives
    assert "250ms when you play live through it" in result.stdout


def test_doctor_without_a_midi_system_says_why_and_exits_1():
    result = doctor("--api", "jack", env={"JACK_DEFAULT_SERVER": "no-such-server"})
    assert result.returncode == 1
    assert "no JACK server answers" in result.stdout
    assert result.stderr.strip() == ("humanizer: serve would not start: no MIDI system "
                                     "answers for --api jack")
