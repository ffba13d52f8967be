"""The pytest side of humanizer.daemon.harness: a JACK server, or a skip (not a failure)
where none can be had. The harness itself knows nothing of pytest; every server, client
and daemon the tests use comes from it.

`jack_server()` uses the server named by JACK_DEFAULT_SERVER when one answers (CI starts
one), else starts its own dummy-backend server and stops it afterwards; `own_server()`
always starts a private one (for a test that counts its xruns or kills it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from humanizer.daemon import harness

TEST_SERVER = "humanizer-test"
# the server's period: at 64 this VM misses periods and JACK drops MIDI; CI runs 1024 (its
# server says so in HUMANIZER_JACK_PERIOD) - at 256 a loaded 2-vCPU VM still skipped a
# client's cycle now and then and lost the period's MIDI (1 to 3 messages in 240)
PERIOD_FRAMES = int(os.environ.get("HUMANIZER_JACK_PERIOD", "256"))
RATE = harness.RATE


@contextlib.contextmanager
def jack_server() -> Iterator[str]:
    """Yield the JACK server name; skip when no server can be had."""
    if os.environ.get("JACK_DEFAULT_SERVER") and harness.jack_answers():
        yield os.environ["JACK_DEFAULT_SERVER"]
        return
    with own_server(PERIOD_FRAMES, name=TEST_SERVER) as server:
        yield server.name


@contextlib.contextmanager
def own_server(period: int, name: str | None = None) -> Iterator[harness.Server]:
    """A private server made the default while it runs; skip when jackd cannot start."""
    try:
        with harness.jack_server(period, name) as server:
            yield server
    except harness.NoJack as error:
        pytest.skip(f"no JACK server: {error}")


class UnfaithfulTake(AssertionError):
    """A take whose own player - the test's DAW, a Python thread sleeping until each
    message is due - sent late on a loaded VM: a clock or note the DAW sent a clock period
    late is the test's fault, not the daemon's. Played again, as a take with xruns is."""


def again_on_xruns(server: harness.Server, take, tries: int = 3):
    """Play `take` (a function that runs one take and asserts exactly what it must give)
    until it passes; a take that failed while the server logged an xrun - a client that
    missed a period, on a loaded 2-core VM, loses that period's MIDI inside JACK - is
    played again, up to `tries` times. A failure without an xrun fails at once. When
    every take lost MIDI to xruns (seen: 600-900 a take while the VM was starved), JACK
    gave the daemon nothing to judge: the test is skipped, saying so - never passed."""
    for number in range(1, tries + 1):
        before = server.xruns()
        try:
            return take()
        except AssertionError as failure:
            xruns = server.xruns() - before
            if isinstance(failure, UnfaithfulTake):
                if number == tries:
                    pytest.skip(f"the test's DAW sent late on all {tries} takes: nothing "
                                f"to judge the daemon by ({failure})")
                print(f"take {number}: {failure}; played again")
                continue
            if not xruns:
                raise
            if number == tries:
                pytest.skip(f"JACK lost MIDI to xruns on all {tries} takes ({xruns} in the "
                            f"last): nothing to judge the daemon by ({failure})")
            print(f"take {number} saw {xruns} JACK xruns: played again")
    return None


def settled(daemon: harness.Daemon, probe: harness.Probe, sent: int,
            timeout: float = 10.0) -> bool:
    """Wait until the `sent` messages the probe played reached the daemon, nothing waits
    in its queue and all it sent came back to the probe: on the daemon's counters, not a
    settling sleep. False at the timeout (JACK lost a message)."""
    def done() -> bool:
        stats = daemon.ask({"cmd": "stats"})
        return (len(probe.echo.received) >= sent and stats["events_in"] >= sent
                and stats["queued"] == 0 and len(probe.received) >= stats["events_out"])
    return harness.wait_until(done, timeout, interval=0.02)
