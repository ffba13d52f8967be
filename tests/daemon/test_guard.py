"""The control guard: connections bounded (the oldest cut), and every one cut when the
heap grows while they are open."""

import socket
import time

import pytest
import zmq

from humanizer.daemon.guard import Guard, HeapWatch, cut
from humanizer.daemon.harness import wait_until


def test_the_heap_counts_only_growth_while_connections_are_open():
    levels = iter([100, 120, 300, 390, 120, 500, 90, 400])
    watch = HeapWatch(256, lambda: next(levels))
    assert not watch.grown(idle=True)  # 100: the level with nobody connected
    assert not watch.grown(idle=True)  # 120: the daemon's own growth moves it up
    assert not watch.grown(idle=False)  # 300: +180 while connected
    assert watch.grown(idle=False)  # 390: +270
    assert not watch.grown(idle=True)  # 120: after the cut, the level again
    assert watch.grown(idle=False)  # 500
    assert not watch.grown(idle=False)  # 90: the lowest since becomes the level
    assert watch.grown(idle=False)  # 400: +310 over it
    assert not HeapWatch(1, lambda: None).grown(idle=False)  # no /proc: no opinion


def test_cut_leaves_alone_what_is_not_one_of_our_connections(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    other = socket.create_connection(listener.getsockname())
    with open(tmp_path / "file", "w") as file:
        assert not cut(file.fileno(), "tcp://127.0.0.1:1")  # not a socket
        file.write("still open")
    assert not cut(other.fileno(), "tcp://127.0.0.1:1")  # a connection to another port
    accepted, _ = listener.accept()
    other.sendall(b"still connected")
    assert accepted.recv(100) == b"still connected"
    port = listener.getsockname()[1]
    assert cut(accepted.fileno(), f"tcp://127.0.0.1:{port}")
    assert other.recv(100) == b""  # shut down: the peer sees it go
    for each in (accepted, other, listener):
        each.close()


@pytest.fixture(params=["tcp", "ipc"])
def router(request, tmp_path):
    """A ROUTER bound on loopback TCP or an ipc:// socket file, and where to connect."""
    context = zmq.Context()
    bound = context.socket(zmq.ROUTER)
    bound.setsockopt(zmq.LINGER, 0)
    if request.param == "tcp":
        where = ("127.0.0.1", bound.bind_to_random_port("tcp://127.0.0.1"))
    else:
        where = str(tmp_path / "control")
        bound.bind(f"ipc://{where}")
    yield bound, where
    bound.close(0)
    context.term()


def connected(where: tuple | str, count: int) -> list[socket.socket]:
    """`count` raw connections, one after the other (accepted in this order)."""
    clients = []
    for _ in range(count):
        if isinstance(where, tuple):
            clients.append(socket.create_connection(where))
        else:
            client = socket.socket(socket.AF_UNIX)
            client.connect(where)
            clients.append(client)
        time.sleep(0.01)
    return clients


def gone(client: socket.socket) -> bool:
    client.settimeout(0.01)
    try:
        return client.recv(100) == b""
    except (TimeoutError, BlockingIOError):
        return False
    except OSError:
        return True


def test_above_the_limit_the_oldest_connections_are_cut(router):
    bound, where = router
    guard = Guard([bound], max_connections=5)
    clients = connected(where, 12)
    try:
        assert wait_until(lambda: sum(map(gone, clients)) == 7, timeout=5)
        assert all(gone(client) for client in clients[:7])
        assert not any(gone(client) for client in clients[7:])  # the newest stay
        assert guard.connections() == 5
    finally:
        guard.stop()
        for client in clients:
            client.close()


def test_every_connection_is_cut_when_the_heap_grows_while_they_are_open(router):
    bound, where = router
    heap = [100.0]
    guard = Guard([bound], max_connections=100, memory_mb=256, measure=lambda: heap[0])
    clients = connected(where, 3)
    try:
        assert wait_until(lambda: guard.connections() == 3, timeout=5)
        time.sleep(0.2)
        assert not any(gone(client) for client in clients)
        heap[0] = 400.0  # a request of many frames arriving
        assert wait_until(lambda: all(gone(client) for client in clients), timeout=5)
        # the monitor reports each connection gone a moment after its peer sees it go
        assert wait_until(lambda: guard.connections() == 0, timeout=5)
        assert guard.cut_connections == 3
    finally:
        guard.stop()
        for client in clients:
            client.close()
