"""`humanizer play FILE`: a MIDI file played into the daemon's input on JACK, as a DAW
would - every note arrives and comes out humanized."""

from __future__ import annotations

import subprocess
import sys

import mido
import pytest
from jack import jack_server

from humanizer.daemon.harness import wait_until

pytestmark = pytest.mark.jack
LATENCY = 0.3


@pytest.fixture(scope="module", autouse=True)
def server():
    with jack_server() as name:
        yield name


def test_a_file_played_into_the_daemon_comes_out_whole_and_humanized(daemon, probe,
                                                                     tmp_path):
    part = mido.MidiFile()
    track = mido.MidiTrack()
    for i in range(24):
        track += [mido.Message("note_on", channel=1, note=48 + i % 12, velocity=80,
                               time=0 if i == 0 else 40),
                  mido.Message("note_off", channel=1, note=48 + i % 12, time=80)]
    part.tracks.append(track)
    path = tmp_path / "part.mid"
    part.save(path)
    played = subprocess.run([sys.executable, "-m", "humanizer.cli", "play", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert played.returncode == 0, played.stderr
    assert "into humanizer-in:in" in played.stdout and "played 24 notes" in played.stdout
    assert wait_until(lambda: daemon.ask({"cmd": "stats"})["notes_out"] == 24, timeout=5)
    ons = [m for _, m in probe.wait_for(48, timeout=5) if m[0] == 0x91 and m[2] > 0]
    assert len(ons) == 24 and len({m[2] for m in ons}) > 3  # flat 80 in, shaped out


def test_no_such_port_is_one_line(server, tmp_path):
    played = subprocess.run([sys.executable, "-m", "humanizer.cli", "play",
                             "humanizer/examples/drum-loop.mid", "--to", "no-such-port"],
                            capture_output=True, text=True, timeout=60)
    assert played.returncode == 2 and played.stderr.count("\n") == 1
    assert "no MIDI input port called 'no-such-port'" in played.stderr
