"""The control socket under attack, on a real daemon (issue 36, items 5 and 7): requests
of many frames, thousands of idle clients, and another user of the machine.

The daemon's own memory is RssAnon from /proc (its heap: where libzmq keeps what it
receives); VmRSS would add JACK's shared memory, which is not the daemon's.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
from jack import jack_server

from humanizer.daemon.client import secure
from humanizer.daemon.harness import Daemon, wait_until

pytestmark = pytest.mark.jack

LATENCY = 0.1
MIB = 1024 * 1024
# what the daemon's heap may grow by while it is attacked: the control socket's allowance
# (256 MB) and what arrives in the moment between two of the daemon's looks at it
BOUND_MB = 400
WATCH_SECONDS = 8.0  # long enough for 1 GiB to cross loopback on a busy 2-core machine
CLIENTS = 3000  # idle clients, as in the issue
OPEN_FILES = 2048  # the daemon's descriptors in that test: fewer than the clients


@pytest.fixture(scope="module", autouse=True)
def server():
    with jack_server() as name:
        yield name


def heap_mb(pid: int) -> float:
    """The process's anonymous resident memory (its heap), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc: not Linux?")


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def flood(address: str, frames: int, size: int):
    """One request of `frames` frames of `size` bytes each, from a DEALER with the owner's
    credentials (what any process of the user's own can send). The same buffer goes out
    every time, so the test itself holds one frame's worth."""
    import zmq

    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.SNDHWM, 0)  # queue it all: never block the test
    secure(socket, None, address)
    socket.connect(address)
    chunk = b"x" * size
    socket.send(b"", zmq.SNDMORE)
    for _ in range(frames - 1):
        socket.send(chunk, zmq.SNDMORE, copy=False)
    socket.send(chunk, copy=False)
    return socket


def peak_heap_mb(pid: int, seconds: float) -> float:
    """The highest heap seen over `seconds`, looked at every 20 ms."""
    peak = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, heap_mb(pid))
        time.sleep(0.02)
    return peak


@pytest.mark.parametrize("senders, frames, size", [
    (1, 1024, MIB),  # the issue's: 1 GiB in frames of 1 MiB
    (4, 1024, MIB),  # four at once: 4 GiB
    (1, 16384, 64 * 1024 - 1),  # 1 GiB in frames small enough for any per-frame cap
], ids=["1024x1MiB", "4x1024x1MiB", "16384x64KiB"])
def test_a_request_of_many_frames_cannot_grow_the_daemon(daemon, senders, frames, size):
    pid = daemon.process.pid
    assert daemon.ask({"cmd": "status"})["ok"]
    before = heap_mb(pid)
    sockets = [flood(daemon.control, frames, size) for _ in range(senders)]
    try:
        peak = peak_heap_mb(pid, WATCH_SECONDS)
    finally:
        for socket in sockets:
            socket.close(0)
    print(f"heap {before:.0f} MB before, {peak:.0f} MB at most while attacked, "
          f"{heap_mb(pid):.0f} MB after")
    assert peak - before < BOUND_MB, f"{senders} x {frames} x {size} B: heap {before:.0f} " \
                                     f"-> {peak:.0f} MB"
    started = time.monotonic()
    assert daemon.ask({"cmd": "status"}, timeout=1.0)["ok"]
    assert time.monotonic() - started < 1.0
    assert daemon.process.poll() is None


def test_thousands_of_idle_clients_leave_control_answering():
    """3000 clients that connect, authenticate and say nothing, against a daemon allowed
    2048 open files: its connections stay bounded, so it keeps descriptors for itself and
    `status` answers within a second while they are held."""
    import zmq

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * CLIENTS + 500  # each ZeroMQ socket here holds two
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"this test needs {need} open files; the limit here is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    started = Daemon("--latency", "100ms", open_files=OPEN_FILES)
    context = zmq.Context()
    context.MAX_SOCKETS = CLIENTS + 100
    clients = []
    try:
        for _ in range(CLIENTS):
            client = context.socket(zmq.REQ)
            client.setsockopt(zmq.LINGER, 0)
            client.setsockopt(zmq.RECONNECT_IVL, -1)  # one connection each, held
            secure(client, None, started.control)
            client.connect(started.control)
            clients.append(client)
        pid = started.process.pid
        held = []
        wait_until(lambda: held.append(open_files(pid)) or len(held) > 3 and held[-1] ==
                   held[-4], timeout=20, interval=0.5)  # until the daemon has taken them
        print(f"{CLIENTS} idle clients: the daemon holds {held[-1]} open files")
        asked = time.monotonic()
        assert started.ask({"cmd": "status"}, timeout=1.0)["ok"]
        assert time.monotonic() - asked < 1.0
        assert held[-1] < OPEN_FILES - 256  # room left for styles, JACK and the rest
    finally:
        for client in clients:
            client.close(0)
        context.term()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        code, output = started.stop()
    assert code == 0, output


NOBODY = 65534
NO_TOKEN_CLIENT = """
import sys, zmq
client = zmq.Context.instance().socket(zmq.REQ)
client.setsockopt(zmq.LINGER, 0)
client.setsockopt(zmq.RCVTIMEO, 1500)
client.connect(sys.argv[1])
client.send(b'{"cmd": "panic"}')
try:
    print(client.recv().decode())
except zmq.Again:
    print("no answer")
"""


def as_nobody(arguments: list[str], home: str) -> subprocess.CompletedProcess:
    """`python ARGUMENTS` run as the user nobody, with a home of its own. Through setpriv
    where there is one: here Python's own switch (subprocess's user=) could not start an
    interpreter installed under root's home, while setpriv could."""
    options = {"capture_output": True, "text": True, "timeout": 30, "cwd": home,
               "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}}
    command = [sys.executable, *arguments]
    if shutil.which("setpriv"):
        return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                               "--clear-groups", *command], **options)
    return subprocess.run(command, user=NOBODY, group=NOBODY, extra_groups=[], **options)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to run a client as another user")
def test_another_user_cannot_control_the_daemon(daemon):
    """A client run as another user (nobody), with no token of its own and no way to read
    the owner's, is refused - by `ctl` in one line, and a bare ZeroMQ client gets no
    answer at all - while the owner's ctl works."""
    home = tempfile.mkdtemp(prefix="humanizer-nobody-")
    os.chown(home, NOBODY, NOBODY)
    try:
        try:
            probe = as_nobody(["-c", "import os, humanizer.daemon.client; print(os.getuid())"],
                              home)
        except OSError as error:
            pytest.skip(f"cannot run {sys.executable} as nobody: {error}")
        if probe.returncode != 0:
            pytest.skip(f"cannot run humanizer as nobody: {probe.stderr.strip()[-200:]}")
        assert probe.stdout.strip() == str(NOBODY)
        refused = as_nobody(["-m", "humanizer.cli", "ctl", "--control", daemon.control,
                             "--timeout", "2s", "set", "strength", "0"], home)
        assert refused.returncode == 2, refused.stdout
        assert refused.stderr.startswith("humanizer: not your daemon: "), refused.stderr
        assert refused.stderr.count("\n") == 1
        bare = as_nobody(["-c", NO_TOKEN_CLIENT, daemon.control], home)
        assert bare.stdout.strip() == "no answer", bare.stderr
        mine = subprocess.run([sys.executable, "-m", "humanizer.cli", "ctl", "--control",
                               daemon.control, "status"], capture_output=True, text=True,
                              timeout=30)
        assert mine.returncode == 0, mine.stderr
        assert daemon.ask({"cmd": "status"})["settings"]["strength"] != 0
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_daemon_writes_its_token_where_told_and_removes_it_at_exit(tmp_path):
    folder = tmp_path / "tokens"
    started = Daemon("--latency", "100ms", env={"HUMANIZER_CONTROL_DIR": str(folder)})
    try:
        token = folder / f"tcp-{started.port}.token"
        assert oct(token.stat().st_mode & 0o777) == oct(0o600)
        assert started.ask({"cmd": "status"})["ok"]  # the harness reads it as the daemon
    finally:
        code, output = started.stop()
    assert code == 0, output
    assert not token.exists()
