"""The JACK harness: everything `humanizer bench` and the JACK tests need to run the daemon
against a real JACK server, in one place.

- Server / jack_server(): a private dummy-backend server (DESIGN 5): started with
  JACK_NO_AUDIO_RESERVATION, ready when `jack_lsp` answers (`jack_wait -c` exits 0 even
  when no server runs), its shared memory removed after it stops (a server killed hard
  leaves its registry slot behind and will not start again under that name).
- Listener, Probe: JACK MIDI clients that record what they hear, timed by JACK's delivery.
- Daemon: `humanizer serve --api jack` as a subprocess, with a ZeroMQ control client.
- free_port_pair(), wait_until(): small helpers both sides share (and, in
  humanizer.daemon.memory, memory_mb()).

Why not in tests/: the bench measures jitter, RSS and ready time through the same clients
the tests check correctness with, so a figure and a test can never disagree about how the
daemon was driven. This module imports neither pytest (tests turn NoJack into a skip) nor
TensorFlow nor humanizer.commands, and rtmidi and ZeroMQ only when a client is made.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

from humanizer.children import die_with_parent

RATE = 48000  # Hz, the dummy backend's sample rate
DAEMON_IN, DAEMON_OUT = "humanizer-in:in", "humanizer-out:out"


class NoJack(Exception):
    """No JACK server can be had here; the message says why."""


class DaemonDidNotStart(RuntimeError):
    """`humanizer serve` exited (or printed something else) before its ready banner."""


def wait_until(condition: Callable[[], object], timeout: float,
               interval: float = 0.01) -> bool:
    """Poll `condition` until it is true or `timeout` seconds pass; its last answer.

    Why: a fixed settling sleep is either too short on a loaded machine (a flaky test) or
    longer than needed everywhere else; a deadline on a condition is neither."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(interval)


# -- the server ---------------------------------------------------------------------------
def clean_shm(name: str) -> None:
    """Remove what a server called `name` left in /dev/shm: after a SIGKILL its registry
    slot (8 in all) stays taken and the name will not start again until this is gone."""
    for path in glob.glob(f"/dev/shm/jack_{name}_*") + glob.glob(f"/dev/shm/jack_sem.*_{name}_*"):
        with contextlib.suppress(OSError):
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def jack_answers(env: dict | None = None) -> bool:
    """True when `jack_lsp` reaches the server named by env's JACK_DEFAULT_SERVER."""
    if shutil.which("jack_lsp") is None:
        return False
    try:
        done = subprocess.run(["jack_lsp"], env=env, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


class Server:
    """A private dummy-backend JACK server. Its log is kept to count xruns: a client that
    misses a period loses that period's MIDI, which is JACK's loss, not the daemon's."""

    def __init__(self, period: int, name: str | None = None):
        """`name` is for a server that may be killed: JACK keeps a killed server's slot in
        its registry (8 in all) and gives it back only to a server of the same name."""
        if shutil.which("jackd") is None or shutil.which("jack_lsp") is None:
            raise NoJack("jackd is not installed (apt-get install jackd2)")
        self.period = period
        self.name = name or f"humanizer-harness-{period}-{os.getpid()}"
        self.env = {**os.environ, "JACK_DEFAULT_SERVER": self.name,
                    "JACK_NO_AUDIO_RESERVATION": "1"}
        self.log = tempfile.TemporaryFile(mode="w+")
        clean_shm(self.name)
        self.process = subprocess.Popen(["jackd", "-n", self.name, "-d", "dummy", "-r",
                                         str(RATE), "-p", str(period)], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=self.log,
                                        preexec_fn=die_with_parent)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Until `jack_lsp` answers; NoJack if jackd exits or stays silent."""
        if not wait_until(lambda: self.process.poll() is not None or jack_answers(self.env),
                          timeout, interval=0.05):
            raise NoJack(f"jackd did not answer within {timeout:g} s")
        if self.process.poll() is not None:
            raise NoJack(f"jackd exited with status {self.process.returncode}")

    def xruns(self) -> int:
        """Clients that missed a period so far (JACK drops their MIDI for that period)."""
        self.log.flush()
        self.log.seek(0)
        return sum("was not finished" in line for line in self.log)

    def kill(self) -> None:
        """The worst case for the daemon: the server dies with no goodbye."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM (SIGKILL if it lingers), then its shared memory removed."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.log.closed:
            self.log.close()
        clean_shm(self.name)


@contextlib.contextmanager
def jack_server(period: int, name: str | None = None) -> Iterator[Server]:
    """A private server, made this process's default JACK server while it runs (so the
    clients made here and the subprocesses started here all find it)."""
    server = Server(period, name)
    before = os.environ.get("JACK_DEFAULT_SERVER")
    try:
        server.wait_ready()
        os.environ["JACK_DEFAULT_SERVER"] = server.name
        yield server
    finally:
        if before is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = before
        server.stop()


def connections(env: dict | None = None) -> dict[str, set[str]]:
    """Each JACK port and the ports connected to it, from `jack_lsp -c`."""
    done = subprocess.run(["jack_lsp", "-c"], env=env, capture_output=True, text=True,
                          timeout=10)
    found: dict[str, set[str]] = {}
    port = None
    for line in done.stdout.splitlines():
        if line[:1].isspace():
            if port is not None:
                found[port].add(line.strip())
        elif line.strip():
            port = line.strip()
            found[port] = set()
    return found


def connect(pairs: list[tuple[str, str]], env: dict | None = None,
            timeout: float = 5.0) -> None:
    """Connect each (source, target) and wait until JACK lists every connection, so the
    first message sent afterwards cannot race with a connection still being made."""
    for source, target in pairs:
        subprocess.run(["jack_connect", source, target], env=env, check=True,
                       capture_output=True, timeout=10)

    def made() -> bool:
        ports = connections(env)
        return all(target in ports.get(source, ()) for source, target in pairs)

    if not wait_until(made, timeout, interval=0.02):
        raise TimeoutError(f"JACK did not list the connections {pairs} within {timeout:g} s")


# -- clients ------------------------------------------------------------------------------
class Listener:
    """A JACK MIDI input recording (JACK delivery time, message). It polls (a Python
    callback would run in JACK's audio thread) and corrects each arrival with the daemon's
    own ArrivalClock, so the times are JACK's, not the poll's."""

    def __init__(self, client: str):
        import rtmidi

        from humanizer.daemon.ports import ArrivalClock

        self.midi_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, client, queue_size_limit=1 << 16)
        self.midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
        self.midi_in.open_virtual_port("in")
        self.port = f"{client}:in"
        self.received: list[tuple[float, list[int]]] = []
        self._clock = ArrivalClock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            item = self.midi_in.get_message()
            if item is None:
                time.sleep(0.0002)
                continue
            self.received.append((self._clock.arrival(item[1], time.monotonic()), item[0]))

    def wait_for(self, count: int, timeout: float) -> list[tuple[float, list[int]]]:
        """What was received once `count` messages are in, or when `timeout` runs out."""
        wait_until(lambda: len(self.received) >= count, timeout)
        return list(self.received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.midi_in.close_port()
        self.midi_in.delete()


class Probe:
    """A JACK MIDI client playing into the daemon and recording what comes back.

    `echo` hears the probe's own output directly: its arrival times are the daemon's input
    times as JACK delivers them, free of the probe's own scheduling delays. `back` hears
    the daemon's output.
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

    def connect(self, daemon_in: str = DAEMON_IN, daemon_out: str = DAEMON_OUT,
                env: dict | None = None) -> None:
        """Out -> daemon and echo, daemon -> back; returns once JACK lists all three."""
        connect([(self.out_port, daemon_in), (self.out_port, self.echo.port),
                 (daemon_out, self.back.port)], env)

    def send(self, message: list[int]) -> float:
        """Send now; the monotonic time it was handed to rtmidi."""
        sent = time.monotonic()
        self.out.send_message(message)
        return sent

    def wait_for(self, count: int, timeout: float) -> list[tuple[float, list[int]]]:
        """What came back from the daemon, once `count` messages did (or at the timeout)."""
        return self.back.wait_for(count, timeout)

    def wait_heard(self, count: int, timeout: float = 3.0) -> None:
        """Until the daemon has been handed `count` messages: a JACK port takes only a
        period's worth of bytes per cycle, so a burst of 1000 notes is in transit for
        about 100 ms at 64 frames, and a signal sent sooner would race with it."""
        heard = self.echo.wait_for(count, timeout)
        if len(heard) < count:
            raise TimeoutError(f"JACK delivered only {len(heard)} of {count} messages")

    def close(self) -> None:
        self.back.close()
        self.echo.close()
        self.out.close_port()
        self.out.delete()


# -- the daemon ---------------------------------------------------------------------------
def free_port_pair() -> int:
    """A loopback TCP port p with p + 1 free too (the daemon binds control and events)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as other:
            try:
                other.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise OSError("no free pair of TCP ports on 127.0.0.1")


def _child_setup(open_files: int | None) -> None:
    """In the daemon's process, before it runs: end with its parent, and (for a test)
    open at most `open_files` files."""
    die_with_parent()
    if open_files is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))


class Daemon:
    """`python -m humanizer.cli serve --api jack --control tcp://127.0.0.1:PORT ARGS...` as
    a subprocess. The constructor returns once the daemon printed its banner (it does so
    when its ports are open) - or, printing elsewhere, once control answers; `ready_s` is
    the time from start to then."""

    def __init__(self, *arguments: str, env: dict | None = None,
                 open_files: int | None = None, stdout=None):
        """`open_files`: the daemon's limit on open files, soft and hard (as a system with
        a low hard limit gives it), for a test that runs it out of descriptors. `stdout`:
        where the daemon prints instead of to this harness (a full disk, a pipe whose
        reader goes away); it is then ready when control answers."""
        self.port = free_port_pair()
        self.control = f"tcp://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "humanizer.cli", "serve", "--api", "jack",
                   "--control", self.control, *arguments]
        started = time.perf_counter()
        self.env = {**os.environ, **(env or {})}
        self.process = subprocess.Popen(command, stdout=stdout or subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=self.env,
                                        preexec_fn=lambda: _child_setup(open_files))
        if stdout is None:
            self.banner = self.process.stdout.readline()  # blocks until ready or exited
            ready = "listening" in self.banner
        else:
            self.banner = ""
            ready = (wait_until(self._answers, timeout=30, interval=0.1)
                     and self.process.poll() is None)
        self.ready_s = round(time.perf_counter() - started, 3)
        if not ready:
            self.process.kill()
            _, error = self.process.communicate()
            raise DaemonDidNotStart(f"the daemon did not start: {self.banner.strip()} "
                                    f"{error.strip()[-400:]}")
        # read what it prints as it prints it: a full pipe would block the daemon
        self.printed: list[str] = []
        streams = [self.process.stderr] if stdout else [self.process.stdout,
                                                         self.process.stderr]
        self._readers = [threading.Thread(target=self._drain, args=(stream,), daemon=True)
                         for stream in streams]
        for reader in self._readers:
            reader.start()

    def _answers(self) -> bool:
        """Control answers `status` (the daemon is up, or exited: then not)."""
        if self.process.poll() is not None:
            return True  # (exited: the caller finds it did not start)
        try:
            return bool(self.ask({"cmd": "status"}, timeout=0.5).get("ok"))
        except Exception:  # not listening yet (no token file, no answer)
            return False

    def _drain(self, stream) -> None:
        for line in stream:
            self.printed.append(line)

    def ask(self, request: dict | bytes, timeout: float = 5.0) -> dict:
        """One request over ZeroMQ REQ, with the daemon's control token (looked up as the
        daemon, started with its own environment, wrote it): a dict as JSON, bytes as
        they are (for fuzzing)."""
        import zmq

        from humanizer.daemon import access

        client = zmq.Context.instance().socket(zmq.REQ)
        client.setsockopt(zmq.LINGER, 0)
        client.setsockopt(zmq.RCVTIMEO, int(timeout * 1000))
        client.plain_username = access.USER.encode()
        client.plain_password = access.password(self.control, self.env)
        client.connect(self.control)
        try:
            client.send(request if isinstance(request, bytes) else json.dumps(request).encode())
            return json.loads(client.recv())
        finally:
            client.close(0)

    def wait_exit(self, timeout: float) -> tuple[int, str]:
        """For a daemon that stops by itself: its exit status and all it printed."""
        self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return self.process.returncode, self.banner + "".join(self.printed)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> tuple[int, str]:
        """Send `signum` and wait: (exit status, all it printed). One that does not exit
        within `timeout` is killed, and says so in the output."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.wait_exit(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code, printed = self.wait_exit(timeout)
            return code, f"{printed}killed: no exit within {timeout:g} s of signal {signum}"
