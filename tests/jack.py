"""Test helpers on a real JACK server: the server itself, a MIDI probe client and the
daemon run as a subprocess.

`jack_server()` uses the server named by JACK_DEFAULT_SERVER when one answers (CI starts
one), else starts its own dummy-backend server for the session and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import zmq

from humanizer import bench

TEST_SERVER = "humanizer-test"
PERIOD_FRAMES, RATE = 256, 48000  # at 64 this VM misses periods and JACK drops MIDI


def jack_answers() -> bool:
    if shutil.which("jack_lsp") is None:
        return False
    result = subprocess.run(["jack_lsp"], capture_output=True, timeout=10)
    return result.returncode == 0


@contextlib.contextmanager
def jack_server():
    """Yield the JACK server name; skip (not fail) when no server can be had."""
    if os.environ.get("JACK_DEFAULT_SERVER") and jack_answers():
        yield os.environ["JACK_DEFAULT_SERVER"]
        return
    try:
        with bench.jack_server(PERIOD_FRAMES, name=TEST_SERVER) as server:
            yield server.name
    except bench.NoJack as error:
        pytest.skip(f"no JACK server: {error}")


class Listener(bench.Listener):
    """A JACK MIDI input that records (arrival time, message).

    Polled (not a callback) and stamped with the daemon's own ArrivalClock correction, so
    the times are those at which JACK delivered the messages, not those of the poll.
    """

    def wait_for(self, count: int, timeout: float) -> list[tuple[float, list[int]]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.received)


class Probe:
    """A JACK MIDI client playing into the daemon and recording what comes back.

    `echo` hears the probe's own output directly: its arrival times are the daemon's input
    times as JACK delivers them, free of the probe's own scheduling delays.
    """

    def __init__(self, name: str = "probe"):
        import rtmidi

        tag = f"{name}-{os.getpid()}-{id(self) % 10000}"
        self.out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, f"{tag}-out")
        self.out.open_virtual_port("out")
        self.out_port = f"{tag}-out:out"
        self.back = Listener(f"{tag}-in")
        self.echo = Listener(f"{tag}-echo")
        self.received = self.back.received

    def connect(self, daemon_in: str = "humanizer-in:in",
                daemon_out: str = "humanizer-out:out") -> None:
        subprocess.run(["jack_connect", self.out_port, daemon_in], check=True)
        subprocess.run(["jack_connect", self.out_port, self.echo.port], check=True)
        subprocess.run(["jack_connect", daemon_out, self.back.port], check=True)

    def send(self, message: list[int]) -> float:
        sent = time.monotonic()
        self.out.send_message(message)
        return sent

    def wait_for(self, count: int, timeout: float) -> list[tuple[float, list[int]]]:
        return self.back.wait_for(count, timeout)

    def wait_heard(self, count: int, timeout: float = 3.0) -> None:
        """Until the daemon has been handed `count` messages: a JACK port takes only a
        period's worth of bytes per cycle, so a burst of 1000 notes is in transit for
        about 100 ms at 64 frames, and a signal sent sooner would race with it."""
        heard = self.echo.wait_for(count, timeout)
        assert len(heard) >= count, f"JACK delivered only {len(heard)} of {count} messages"

    def close(self) -> None:
        self.back.close()
        self.echo.close()
        self.out.close_port()
        self.out.delete()


class Daemon:
    """`humanizer serve` as a subprocess, with a control client."""

    def __init__(self, *arguments: str, env: dict | None = None):
        self.port = bench.free_port_pair()
        self.control = f"tcp://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "humanizer.cli", "serve", "--api", "jack",
                   "--control", self.control, *arguments]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env={**os.environ, **(env or {})})
        self.banner = self.process.stdout.readline()  # blocks until ready or exited
        if "listening" not in self.banner:
            self.process.kill()
            raise RuntimeError(f"daemon did not start: {self.banner}{self.process.stderr.read()}")

    def ask(self, request: dict | bytes, timeout: float = 5.0) -> dict:
        context = zmq.Context.instance()
        client = context.socket(zmq.REQ)
        client.setsockopt(zmq.LINGER, 0)
        client.setsockopt(zmq.RCVTIMEO, int(timeout * 1000))
        client.connect(self.control)
        try:
            client.send(request if isinstance(request, bytes) else json.dumps(request).encode())
            return json.loads(client.recv())
        finally:
            client.close(0)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            raise
        return self.process.returncode, out + err
