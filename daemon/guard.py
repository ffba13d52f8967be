"""The limits ZeroMQ does not keep on the control sockets: how many connections they hold,
and how much memory requests still on their way may take.

ZMQ_MAXMSGSIZE cuts a peer whose frame is too large and ZMQ_RCVHWM caps the whole
messages waiting, but nothing in libzmq caps the frames of one message, or the number of
connections (measured on a real daemon, tests/live/test_control_jack.py):
- libzmq keeps every frame of a multipart message in its pipe until the last one has
  arrived, and only then does the daemon see the first: one request of 16384 frames of
  64 KiB took the daemon's heap from 40 MB to 2 GB, and no frame size can stop that.
- it accepts connections until the process has no descriptors left: 3000 idle clients
  of a daemon allowed 2048 open files left control unreachable while they were held
  (each takes ~24 KB of heap, kept after it leaves).
So a thread of its own (a main loop busy loading a style for seconds would be blind)
watches the sockets through ZeroMQ socket monitors, which report each connection accepted
and lost with its descriptor:
- above MAX_CONNECTIONS on a socket, the oldest connections are cut: an idle one held
  longest goes, and a newcomer - a ctl about to ask - is answered;
- when the heap grows by CONTROL_MEMORY_MB (Linux: RssAnon in /proc) while connections
  are open, every connection is cut, and with it what libzmq held of a request still
  arriving; clients simply connect again. Elsewhere only the frame cap holds.
A connection is cut by shutting its descriptor down: libzmq sees the peer go, drops what
it held of it and closes the descriptor itself.
"""

from __future__ import annotations

import socket as sockets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import zmq
from zmq.utils.monitor import recv_monitor_message

from humanizer.daemon.say import say

MAX_CONNECTIONS = 1024  # per socket: ~24 MB of heap, and descriptors left for the rest
CONTROL_MEMORY_MB = 256  # what requests on their way may add to the heap
LOOK_SECONDS = 0.05  # how often the heap is looked at (1 GB/s on loopback: +50 MB)
SAY_SECONDS = 10.0  # at most one line about cut connections this often


def connection_limit() -> int:
    """MAX_CONNECTIONS, or a quarter of the files this process may open where that is
    less: the two sockets' connections must leave descriptors for styles, JACK and the
    rest."""
    try:
        import resource
    except ImportError:  # Windows
        return MAX_CONNECTIONS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(8, min(MAX_CONNECTIONS, soft // 4))


MOST_DESCRIPTORS = 65536  # open files the daemon asks for (each control client holds one)


def more_descriptors() -> int:
    """Raise the soft limit on open files toward the hard one (MOST_DESCRIPTORS at most)
    and return it: at the usual 1024, a few thousand idle control clients took them all,
    and the control socket answered nobody while they were held. (Not on Windows.)"""
    try:
        import resource
    except ImportError:
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MOST_DESCRIPTORS if hard == resource.RLIM_INFINITY else min(hard, MOST_DESCRIPTORS)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


def heap_mb() -> float | None:
    """This process's anonymous resident memory (its heap, where libzmq keeps what it
    receives), in MB; None where /proc does not tell (not Linux)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class HeapWatch:
    """Has the heap grown by more than `allowance` MB over its level while no connection
    was open (or its lowest since)? The level is taken again whenever none is open, so
    the daemon's own growth between requests never counts against the control. A style
    loaded while its `ctl use` waits does count: the shipped ones add 1-4 MB; one adding
    256 MB would still load, but its ctl would get no reply."""

    def __init__(self, allowance: float, measure=heap_mb):
        self.allowance = allowance
        self.measure = measure
        self.floor: float | None = None

    def grown(self, idle: bool) -> bool:
        now = self.measure()
        if now is None:
            return False
        if idle or self.floor is None or now < self.floor:
            self.floor = now
        return now - self.floor > self.allowance


def cut(descriptor: int, local: str) -> bool:
    """Shut a connection down by its descriptor, if it still is one to `local` (our
    bound endpoint): a descriptor closed and reused since the event is left alone. The
    descriptor is libzmq's: shut down, never closed here."""
    try:
        connection = sockets.socket(fileno=descriptor)
    except OSError:  # not a socket (any more)
        return False
    try:
        name = connection.getsockname()
        if local.startswith("ipc://"):
            ours = name == local[len("ipc://"):]
        else:
            ours = isinstance(name, tuple) and name[1] == int(local.rsplit(":", 1)[1])
        if ours:
            connection.shutdown(sockets.SHUT_RDWR)
        return ours
    except OSError:
        return False
    finally:
        connection.detach()


@dataclass
class Watched:
    """One socket's monitor and its open connections (descriptors, oldest first)."""
    monitor: zmq.Socket
    local: str
    open: dict[int, None] = field(default_factory=dict)


class Guard:
    """Keeps the connections of `watched` bounded and their memory in check, from a
    thread; the first socket is the one requests come to. `stop()` before the sockets
    are closed."""

    def __init__(self, watched: Sequence[zmq.Socket], max_connections: int,
                 memory_mb: float = CONTROL_MEMORY_MB, measure=heap_mb):
        self.max_connections = max_connections
        self.heap = HeapWatch(memory_mb, measure)
        self.cut_connections = 0
        self._said = 0.0
        self._watched = [self._watch(socket) for socket in watched]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="control guard", daemon=True)
        self._thread.start()

    @staticmethod
    def _watch(socket: zmq.Socket) -> Watched:
        """Start the socket's monitor (from the socket's own thread) and connect to it,
        taking every event: one lost would leave a connection unaccounted for."""
        endpoint = f"inproc://humanizer-guard-{id(socket)}"
        socket.monitor(endpoint, zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED)
        monitor = socket.context.socket(zmq.PAIR)
        monitor.setsockopt(zmq.RCVHWM, 0)
        monitor.setsockopt(zmq.LINGER, 0)
        monitor.connect(endpoint)
        local = socket.getsockopt(zmq.LAST_ENDPOINT).decode()
        return Watched(monitor, local)

    def connections(self) -> int:
        return sum(len(watched.open) for watched in self._watched)

    def _run(self) -> None:
        poller = zmq.Poller()
        for watched in self._watched:
            poller.register(watched.monitor, zmq.POLLIN)
        next_look = 0.0
        try:
            while not self._stop.is_set():
                ready = dict(poller.poll(int(LOOK_SECONDS * 1000)))
                for watched in self._watched:
                    if watched.monitor in ready:
                        self._note(watched)
                    self._bound(watched)
                if time.monotonic() >= next_look:
                    next_look = time.monotonic() + LOOK_SECONDS
                    # the heap's level is taken again whenever no request can be on its
                    # way (the first socket watched takes them): a `stats --watch`
                    # subscriber held open for hours must not make the daemon's own
                    # growth look like a request's
                    if self.heap.grown(idle=not self._watched[0].open):
                        self._cut_everyone()
        finally:
            for watched in self._watched:
                watched.monitor.close(0)

    @staticmethod
    def _note(watched: Watched) -> None:
        """Every event waiting: a connection accepted joins the open ones, one lost leaves."""
        while True:
            try:
                event = recv_monitor_message(watched.monitor, zmq.NOBLOCK)
            except zmq.Again:
                return
            descriptor = int(event["value"])
            if event["event"] == zmq.EVENT_ACCEPTED:
                watched.open[descriptor] = None
            elif event["event"] == zmq.EVENT_DISCONNECTED:
                watched.open.pop(descriptor, None)

    def _bound(self, watched: Watched) -> None:
        """Cut the oldest connections above the limit."""
        excess = len(watched.open) - self.max_connections
        for descriptor in list(watched.open)[:max(excess, 0)]:
            del watched.open[descriptor]
            self.cut_connections += cut(descriptor, watched.local)
        if excess > 0:
            self._say(f"more than {self.max_connections} control connections: the oldest "
                      "were cut")

    def _cut_everyone(self) -> None:
        """Cut every connection: one of them is sending a request too large to keep."""
        for watched in self._watched:
            for descriptor in list(watched.open):
                self.cut_connections += cut(descriptor, watched.local)
            watched.open.clear()
        self._say(f"control requests on their way took more than {self.heap.allowance:g} "
                  "MB: every control connection was cut (clients connect again)")

    def _say(self, line: str) -> None:
        """One line now and then: an attack must not flood the daemon's output."""
        if time.monotonic() - self._said >= SAY_SECONDS:
            self._said = time.monotonic()
            say(line, error=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
