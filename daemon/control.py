"""The ZeroMQ control channel: JSON requests from REQ clients (on a ROUTER socket), events
and stats on a PUB.

Binds to loopback only unless told otherwise, and lets in only the user who started it:
a client gives that user's token in ZeroMQ's handshake (PLAIN; see access.py). A
non-loopback address needs --allow-remote and CURVE keys, so requests are encrypted and
only known clients get in. No request can kill the daemon: oversized,
malformed, unknown or ill-typed requests all get `{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import json
import os
import re
import socket as sockets
import stat
from collections.abc import Callable
from pathlib import Path

import zmq

from humanizer.daemon import access
from humanizer.daemon.guard import Guard, connection_limit
from humanizer.errors import HumanizerError

MAX_REQUEST = 64 * 1024  # bytes; larger requests get an error reply
# ZMQ_MAXMSGSIZE: a larger frame cuts the connection before it is kept (at 1 MiB, one
# request of 1024 such frames took the heap from 40 MB to 1 GB, four at once to 4.2 GB).
# It caps each frame, not their number: guard.py bounds the total.
MAX_MESSAGE = 2 * MAX_REQUEST
WAITING = 4  # ZMQ_RCVHWM: whole requests a client may have waiting (a REQ has one)
HANDSHAKE_MS = 2000  # a connection that does not speak ZeroMQ is dropped after this
MAX_ANSWERS = 500  # requests answered in one turn of the daemon's main loop
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
DEFAULT_CONTROL = "tcp://127.0.0.1:5555"


class RequestError(Exception):
    """A request the daemon refuses; the message goes back in the error reply."""


def is_loopback(address: str) -> bool:
    """ipc:// (a socket file, owner-only) and tcp:// on 127.0.0.1, localhost or [::1] stay
    on this machine. An abstract ipc://@name has no permissions at all: not loopback."""
    if address.startswith("ipc://"):
        return not address.startswith("ipc://@") and len(address) > len("ipc://")
    match = re.fullmatch(r"tcp://(.+):(\d+)", address)
    return bool(match) and match.group(1) in LOOPBACK_HOSTS


def events_address(control: str) -> str:
    """The PUB address next to a control address: the next TCP port, or `<path>.events`."""
    match = re.fullmatch(r"(tcp://.+):(\d+)", control)
    if match and int(match.group(2)) < 65535:
        return f"{match.group(1)}:{int(match.group(2)) + 1}"
    if match:
        raise HumanizerError(f"{control} is the last TCP port: give --events ADDRESS")
    if control.startswith("ipc://"):
        return control + ".events"
    raise HumanizerError(f"cannot derive an events address from '{control}': give --events")


def socket_file(address: str) -> str | None:
    """The socket file of an ipc:// address; None for tcp:// and for an abstract
    ipc://@name, which has no file."""
    if not address.startswith("ipc://") or address.startswith("ipc://@"):
        return None
    return address[len("ipc://"):]


def claim_ipc_path(address: str, flag: str) -> None:
    """Make way for an ipc:// socket file: refuse when a daemon still answers on it (binding
    would silently take the path from it), remove it when it is left over from one that
    died. Anything else at the path - a file given by mistake, another user's socket
    this user may not remove - is left as it is, and said in one line."""
    path = socket_file(address)
    if path is None or not os.path.lexists(path):
        return
    if not stat.S_ISSOCK(os.lstat(path).st_mode):
        raise HumanizerError(f"{path} is not a socket file: it is kept (choose {flag})")
    probe = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        _remove_stale(path, flag)  # nobody listens: a stale file
        return
    finally:
        probe.close()
    raise HumanizerError(f"{address} is busy: is another humanizer serve running? "
                         f"(choose {flag})")


def _remove_stale(path: str, flag: str) -> None:
    try:
        os.unlink(path)
    except OSError as error:
        raise HumanizerError(f"{path} is another daemon's or another user's and cannot "
                             f"be removed ({error.strerror}): choose {flag}") from None


def answer(handle: Callable[[dict], dict], frames: list[bytes]) -> dict:
    """A request's reply: the handler's, or its refusal in one line - the same for a
    client of the control socket and for the live panel."""
    try:
        return handle(parse_request(frames))
    except (RequestError, HumanizerError) as error:
        return {"ok": False, "error": str(error)}
    except Exception as error:  # a bug must not take the music down with it
        return {"ok": False, "error": f"internal error: {type(error).__name__}: {error}"}


def parse_request(frames: list[bytes]) -> dict:
    """A request as a dict with a string `cmd`, or RequestError saying what is wrong."""
    if len(frames) != 1:
        raise RequestError("a request is one JSON message")
    if len(frames[0]) > MAX_REQUEST:
        raise RequestError(f"request too large (limit {MAX_REQUEST // 1024} KiB)")
    try:
        request = json.loads(frames[0].decode("utf-8"))
    except RecursionError:
        raise RequestError("request nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise RequestError("request is not valid JSON") from None
    if not isinstance(request, dict):
        raise RequestError("request must be a JSON object like {\"cmd\": \"status\"}")
    if not isinstance(request.get("cmd"), str):
        raise RequestError("request needs a string field 'cmd'")
    return request


def _curve_keys(folder: str | None) -> tuple[bytes, bytes, Path]:
    """(public, secret) server keys and the folder of allowed client public keys."""
    import zmq.auth

    if folder is None:
        raise HumanizerError("a non-loopback control address needs --curve-keys DIR")
    secret_file = Path(folder) / "server.key_secret"
    clients = Path(folder) / "clients"
    if not secret_file.is_file() or not clients.is_dir():
        raise HumanizerError(f"{folder}: expected server.key_secret and a clients/ folder "
                             "(see the README: remote control)")
    public, secret = zmq.auth.load_certificate(str(secret_file))
    if not secret:
        raise HumanizerError(f"{secret_file}: no secret key in it")
    return public, secret, clients


class ControlServer:
    """ROUTER + PUB sockets, used only from the thread that created them."""

    def __init__(self, address: str, events: str | None = None, allow_remote: bool = False,
                 curve_keys: str | None = None):
        self.address = address
        self.events = events or events_address(address)
        if self.events == self.address:
            raise HumanizerError(f"--events {self.events} is the control address too: give "
                                 "each its own (by default events use the next port)")
        self.context = zmq.Context()
        self._authenticator = None
        self.token_file: Path | None = None
        self.guard: Guard | None = None
        try:
            remote = not (is_loopback(address) and is_loopback(self.events))
            if remote and not allow_remote:
                raise HumanizerError(
                    f"refusing to listen on {address}: only loopback addresses (127.0.0.1, "
                    "localhost, [::1], ipc://) unless --allow-remote with --curve-keys")
            # ROUTER, not REP: REP's one-reply-per-request state could be caught by a
            # peer sending raw bytes, and later requests waited for seconds
            # keys given are keys used, on loopback too: never silently ignored
            secure = remote or curve_keys is not None
            # without CURVE keys: only clients giving this user's token (see access.py)
            self.token = None if secure else access.new_token()
            self.reply = self._bind(zmq.ROUTER, address, secure, curve_keys, "--control")
            self.publish_socket = self._bind(zmq.PUB, self.events, secure, curve_keys,
                                             "--events")
            if self.token is not None:  # once both are ours: a busy address keeps its file
                self.token_file = access.write(address, self.token)
            self.guard = Guard([self.reply, self.publish_socket], connection_limit())
        except BaseException:
            self.close()
            raise

    def _bind(self, kind: int, address: str, secure: bool, curve_keys: str | None,
              flag: str) -> zmq.Socket:
        keys = _curve_keys(curve_keys) if secure else None
        claim_ipc_path(address, flag)
        socket = self.context.socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.IPV6, 1)
        # limits must be set before bind: libzmq ignores them for a listener bound earlier
        socket.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        socket.setsockopt(zmq.RCVHWM, WAITING)
        socket.setsockopt(zmq.HANDSHAKE_IVL, HANDSHAKE_MS)
        if keys is not None:
            public, secret, clients = keys
            self._authenticate().configure_curve(domain="*", location=str(clients))
            socket.curve_secretkey, socket.curve_publickey = secret, public
            socket.curve_server = True
        else:
            self._authenticate().configure_plain(domain="*",
                                                 passwords={access.USER: self.token})
            socket.plain_server = True
        try:
            socket.bind(address)
        except zmq.ZMQError as error:
            socket.close(0)
            if error.errno == zmq.EADDRINUSE:
                raise HumanizerError(f"{address} is busy: is another humanizer serve "
                                     f"running? (choose {flag})") from None
            raise HumanizerError(f"cannot listen on {address} ({flag}): {error}") from None
        if (path := socket_file(address)) is not None:
            os.chmod(path, 0o600)  # only this user may play with the music
        return socket

    def _authenticate(self):
        """The ZAP handler that checks every client's key or token in the handshake,
        before any of its messages is read (started before the first bind: without
        one, libzmq lets every client in)."""
        if self._authenticator is None:
            from zmq.auth.thread import ThreadAuthenticator

            self._authenticator = ThreadAuthenticator(self.context)
            self._authenticator.start()
        return self._authenticator

    def serve(self, handle: Callable[[dict], dict], timeout: float) -> int:
        """Answer the requests arriving within `timeout` seconds - every one waiting, up to
        MAX_ANSWERS: raw bytes on the port can read as a hundred old-style ZeroMQ messages,
        and answering one per main-loop turn stalled the real ones for seconds. Returns
        how many were answered."""
        answered = 0
        wait = int(timeout * 1000)
        while answered < MAX_ANSWERS and self.reply.poll(wait, zmq.POLLIN):
            wait = 0
            try:
                frames = self.reply.recv_multipart(zmq.NOBLOCK)  # never wait on half a one
            except zmq.Again:
                break
            if len(frames) < 3 or frames[1] != b"":  # not a REQ client's: nobody to answer
                continue
            peer, frames = frames[0], frames[2:]
            reply = answer(handle, frames)
            self.reply.send_multipart([peer, b"", json.dumps(reply).encode()])
            answered += 1
        return answered

    def publish(self, topic: str, body: dict) -> None:
        """One event as `topic JSON` (subscribers filter by topic prefix)."""
        self.publish_socket.send(f"{topic} {json.dumps(body)}".encode(), zmq.NOBLOCK)

    def close(self) -> None:
        """Close the sockets and remove the socket files this server made (a file left
        behind would be taken for a busy or stale daemon's)."""
        if self.guard is not None:
            self.guard.stop()
        for name in ("reply", "publish_socket"):
            socket = getattr(self, name, None)
            if socket is not None:
                socket.close(0)
                path = socket_file(self.address if name == "reply" else self.events)
                if path is not None:
                    Path(path).unlink(missing_ok=True)
        if self.token_file is not None:
            access.remove(self.token_file, self.token)
        if self._authenticator is not None:
            self._authenticator.stop()
        self.context.term()
