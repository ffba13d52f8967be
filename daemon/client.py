"""The ZeroMQ client of a running daemon: one request and its reply, the published
stats, and the credentials the daemon asks for - this user's control token (see
access.py) or, for a remote daemon, CURVE keys. Used by `humanizer ctl`; any language
can do the same (see the README: the control channel)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import zmq
from zmq.utils.monitor import recv_monitor_message

from humanizer.daemon import access
from humanizer.daemon.control import is_loopback
from humanizer.errors import HumanizerError


def secure(socket: zmq.Socket, folder: str | None, address: str,
           control: str | None = None) -> None:
    """Credentials for the daemon whose control address is `control` (default
    `address`): CURVE client keys from `folder` (server.key and client.key_secret) when
    given - a remote daemon needs them - else this user's token for it, as ZeroMQ PLAIN."""
    if folder is None:
        if not is_loopback(address):
            raise HumanizerError(f"{address} is not on this machine: give --curve-keys DIR")
        socket.plain_username = access.USER.encode()
        socket.plain_password = access.password(control or address)
        return
    import zmq.auth

    server_public, _ = zmq.auth.load_certificate(str(Path(folder) / "server.key"))
    public, secret = zmq.auth.load_certificate(str(Path(folder) / "client.key_secret"))
    socket.curve_serverkey, socket.curve_publickey, socket.curve_secretkey = (
        server_public, public, secret)


def ask(address: str, request: dict, timeout: float, curve_keys: str | None = None) -> dict:
    """One request, one reply; a HumanizerError when nobody answers in time, or at once
    when the daemon refuses this user's token or keys."""
    socket = zmq.Context.instance().socket(zmq.REQ)
    monitor = None
    try:
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.SNDTIMEO, int(timeout * 1000))
        socket.setsockopt(zmq.IPV6, 1)
        secure(socket, curve_keys, address)
        monitor = socket.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        socket.connect(address)
        socket.send(json.dumps(request).encode())
        reply = _reply(socket, monitor, timeout)
    except zmq.Again:
        raise HumanizerError(f"no humanizer daemon answered at {address} within "
                             f"{timeout:g}s (is `humanizer serve` running?)") from None
    except zmq.ZMQError as error:
        raise HumanizerError(f"cannot reach {address}: {error}") from None
    finally:
        if monitor is not None:
            socket.disable_monitor()
            monitor.close(0)
        socket.close(0)
    if reply is None:
        raise HumanizerError(access.refusal(address) if curve_keys is None else
                             f"not your daemon: {address} refused the client key in "
                             f"{curve_keys}")
    try:
        return json.loads(reply)
    except ValueError:
        raise HumanizerError(f"{address} answered, but not as a humanizer daemon") from None


def _reply(socket: zmq.Socket, monitor: zmq.Socket, timeout: float) -> bytes | None:
    """The reply, or None as soon as the daemon refuses us in the handshake: libzmq
    itself would only try again and again, and a refusal would look like a daemon that
    is not there. zmq.Again when nothing comes within `timeout`."""
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    poller.register(monitor, zmq.POLLIN)
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready = dict(poller.poll(int(left * 1000) + 1))
        if socket in ready:
            return socket.recv()
        if monitor in ready and recv_monitor_message(monitor)["event"] == \
                zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            return None
    raise zmq.Again()


def stats(events: str, timeout: float, curve_keys: str | None = None,
          control: str | None = None) -> Iterator[str]:
    """Each stats message the daemon publishes (its JSON body), until it stops sending.
    `control`: the daemon's control address, whose token the events socket asks for."""
    socket = zmq.Context.instance().socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.IPV6, 1)
    socket.setsockopt(zmq.RCVTIMEO, int(max(timeout, 3.0) * 1000))
    secure(socket, curve_keys, events, control)
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
