"""Only the daemon's user controls it: the token file, and the handshake that asks for it."""

import os
import stat
import time

import pytest
from helpers import serving

from humanizer.daemon import access
from humanizer.daemon.client import ask, secure
from humanizer.daemon.control import ControlServer
from humanizer.daemon.harness import free_port_pair
from humanizer.errors import HumanizerError


@pytest.fixture(autouse=True)
def tokens(tmp_path, monkeypatch):
    """Tokens in a folder of the test's own, never the user's real one."""
    folder = tmp_path / "tokens"
    monkeypatch.setenv(access.FOLDER_VARIABLE, str(folder))
    return folder


def test_the_token_is_private_named_after_the_port_and_removed_at_exit(tokens):
    port = free_port_pair()
    server = ControlServer(f"tcp://127.0.0.1:{port}")
    path = tokens / f"tcp-{port}.token"
    try:
        assert server.token_file == path
        assert path.read_text() == server.token and len(server.token) >= 40
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(tokens.stat().st_mode) == 0o700
        # another spelling of the same loopback address finds the same file
        assert access.token_file(f"tcp://localhost:{port}") == path
    finally:
        server.close()
    assert not path.exists()
    assert access.token_file("ipc:///tmp/x/control").name == "ipc-tmp-x-control.token"


def test_a_client_without_the_token_is_refused_at_once_and_the_owner_answered(tokens):
    port = free_port_pair()
    address = f"tcp://127.0.0.1:{port}"
    done = serving(ControlServer(address))
    try:
        assert ask(address, {"cmd": "status"}, 2) == {"ok": True}
        (tokens / f"tcp-{port}.token").write_text("someone else's")
        started = time.monotonic()
        with pytest.raises(HumanizerError, match="not your daemon: .* does not match"):
            ask(address, {"cmd": "status"}, 5)
        assert time.monotonic() - started < 2  # refused in the handshake, no timeout
        (tokens / f"tcp-{port}.token").unlink()
        with pytest.raises(HumanizerError, match="not your daemon: .* is missing"):
            ask(address, {"cmd": "status"}, 5)
    finally:
        done()


def test_the_events_socket_asks_for_the_token_too(tokens):
    import zmq

    address = f"tcp://127.0.0.1:{free_port_pair()}"
    server = ControlServer(address)
    try:
        def subscriber(token: bool) -> zmq.Socket:
            socket = zmq.Context.instance().socket(zmq.SUB)
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.RCVTIMEO, 200)
            if token:
                secure(socket, None, server.events, address)
            socket.setsockopt(zmq.SUBSCRIBE, b"")
            socket.connect(server.events)
            return socket

        mine, theirs = subscriber(True), subscriber(False)
        heard = {mine: 0, theirs: 0}
        for _ in range(15):  # a SUB joins a moment after it connects: publish a while
            server.publish("stats", {"n": 1})
            for socket in heard:
                try:
                    socket.recv()
                    heard[socket] += 1
                except zmq.Again:
                    pass
        assert heard[mine] > 0 and heard[theirs] == 0
        mine.close(0)
        theirs.close(0)
    finally:
        server.close()


def test_a_token_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to give a folder to another user")
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    os.chown(foreign, 65534, 65534)
    monkeypatch.setenv(access.FOLDER_VARIABLE, str(foreign))
    with pytest.raises(HumanizerError, match="belongs to another user"):
        ControlServer(f"tcp://127.0.0.1:{free_port_pair()}")


def test_a_folder_others_can_read_is_made_private(tokens):
    tokens.mkdir(mode=0o755)
    os.chmod(tokens, 0o755)
    server = ControlServer(f"tcp://127.0.0.1:{free_port_pair()}")
    server.close()
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o700


def test_with_curve_keys_there_is_no_token(tokens, tmp_path):
    import zmq.auth

    keys = tmp_path / "keys"
    (keys / "clients").mkdir(parents=True)
    zmq.auth.create_certificates(str(keys), "server")
    server = ControlServer(f"tcp://127.0.0.1:{free_port_pair()}", curve_keys=str(keys))
    try:
        assert server.token_file is None and not tokens.exists()
    finally:
        server.close()
