"""Every child a command starts ends with it, on any signal (issue 36, item 11): a bench
stopped by `timeout` (SIGTERM) left its private JACK server running for 85 minutes."""

import signal
import subprocess
import sys
import time

import pytest

from humanizer.daemon.harness import wait_until

pytestmark = pytest.mark.jack

HOLDER = """
import sys, time
from humanizer.commands.bench import ended_by_signal
from humanizer.daemon import harness
ended_by_signal()
with harness.jack_server(1024, sys.argv[1]):
    print("ready", flush=True)
    time.sleep(600)
"""


def jackd_running(name: str) -> bool:
    found = subprocess.run(["pgrep", "-f", f"jackd -n {name} "], capture_output=True)
    return found.returncode == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_a_private_jack_server_ends_with_the_command_that_started_it(signum):
    name = f"humanizer-child-test-{signum}"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, name], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert jackd_running(name)
        holder.send_signal(signum)
        holder.wait(timeout=10)
        assert wait_until(lambda: not jackd_running(name), 10), \
            f"jackd {name} outlived its parent ({signal.Signals(signum).name})"
        if signum != signal.SIGKILL:  # stopped through its finally: exit 128 + signal
            assert holder.returncode == 128 + signum
    finally:
        holder.kill()
        subprocess.run(["pkill", "-f", f"jackd -n {name} "])
        time.sleep(0.1)
