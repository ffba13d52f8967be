"""The ZeroMQ client of a running daemon: one request and its reply, the published
stats, and the CURVE keys a remote daemon needs. Used by `humanizer ctl`; any language
can do the same (see the README: the control channel)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import zmq

from humanizer.daemon.control import is_loopback
from humanizer.errors import HumanizerError


def secure(socket: zmq.Socket, folder: str | None, address: str) -> None:
    """CURVE client keys for a remote daemon: server.key and client.key_secret in
    `folder`. A loopback address needs none."""
    if folder is None:
        if not is_loopback(address):
            raise HumanizerError(f"{address} is not on this machine: give --curve-keys DIR")
        return
    import zmq.auth

    server_public, _ = zmq.auth.load_certificate(str(Path(folder) / "server.key"))
    public, secret = zmq.auth.load_certificate(str(Path(folder) / "client.key_secret"))
    socket.curve_serverkey, socket.curve_publickey, socket.curve_secretkey = (
        server_public, public, secret)


def ask(address: str, request: dict, timeout: float, curve_keys: str | None = None) -> dict:
    """One request, one reply; a HumanizerError when nobody answers in time."""
    socket = zmq.Context.instance().socket(zmq.REQ)
    try:
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, int(timeout * 1000))
        socket.setsockopt(zmq.SNDTIMEO, int(timeout * 1000))
        socket.setsockopt(zmq.IPV6, 1)
        secure(socket, curve_keys, address)
        socket.connect(address)
        socket.send(json.dumps(request).encode())
        reply = socket.recv()
    except zmq.Again:
        raise HumanizerError(f"no humanizer daemon answered at {address} within "
                             f"{timeout:g}s (is `humanizer serve` running?)") from None
    except zmq.ZMQError as error:
        raise HumanizerError(f"cannot reach {address}: {error}") from None
    finally:
        socket.close(0)
    try:
        return json.loads(reply)
    except ValueError:
        raise HumanizerError(f"{address} answered, but not as a humanizer daemon") from None


def stats(events: str, timeout: float, curve_keys: str | None = None) -> Iterator[str]:
    """Each stats message the daemon publishes (its JSON body), until it stops sending."""
    socket = zmq.Context.instance().socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.IPV6, 1)
    socket.setsockopt(zmq.RCVTIMEO, int(max(timeout, 3.0) * 1000))
    secure(socket, curve_keys, events)
    socket.setsockopt(zmq.SUBSCRIBE, b"stats ")
    socket.connect(events)
    try:
        while True:
            try:
                message = socket.recv().decode()
            except zmq.Again:
                raise HumanizerError(f"no stats from {events}: did the daemon stop?") from None
            yield message.partition(" ")[2]
    finally:
        socket.close(0)
