"""What the daemon says never stops it: a pipe whose reader has gone (`serve | tee log`,
tee quit) silences that stream instead of raising in the main loop."""

import io
import os
import sys

import pytest

from humanizer.daemon import say as saying


def broken_pipe() -> io.TextIOWrapper:
    """A real pipe whose reading end is closed: writing to it is a broken pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return io.TextIOWrapper(os.fdopen(write_end, "wb", buffering=0), write_through=True)


def test_a_broken_pipe_silences_stdout_and_the_daemon_goes_on(capsys, monkeypatch):
    broken_stdout = broken_pipe()
    monkeypatch.setattr(sys, "stdout", broken_stdout)  # (in the test: capsys sets it before)
    monkeypatch.setattr(saying, "_silenced", set())
    with pytest.raises(BrokenPipeError):
        print("x", file=broken_stdout, flush=True)  # the pipe really is broken
    saying.say("the input lost its last source: released 6 held notes")
    saying.say("stopped: 10 notes played (0 late), 6 still sounding released")
    assert saying._silenced == {"stdout"} and sys.stdout is not broken_stdout
    saying.say("an inference failed", error=True)  # stderr is still there
    assert capsys.readouterr().err == "humanizer: an inference failed\n"


def test_a_line_is_said_with_its_prefix(capsys, monkeypatch):
    monkeypatch.setattr(saying, "_silenced", set())
    saying.say("listening")
    assert capsys.readouterr().out == "humanizer: listening\n"
