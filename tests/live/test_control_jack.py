"""The control socket under attack, on a real daemon (issue 36, items 5 and 7): requests
of many frames, thousands of idle clients, and another user of the machine.

The daemon's own memory is RssAnon from /proc (its heap: where libzmq keeps what it
receives); VmRSS would add JACK's shared memory, which is not the daemon's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from jack import jack_server

pytestmark = pytest.mark.jack

LATENCY = 0.1


@pytest.fixture(scope="module", autouse=True)
def server():
    with jack_server() as name:
        yield name


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
