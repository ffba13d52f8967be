"""The soak's control client: every second it swaps styles, toggles bypass, sets strength
and sends a malformed request; with hostile models it also swaps one of them in and
attacks the control port. Each reply is logged with whether it should have been accepted.
"""

from __future__ import annotations

import random
import threading

MALFORMED = [b"{", b"\xff\xfe", b"[]", b'{"cmd": "use", "style": "no-such-style"}',
             b'{"cmd": "set", "key": "strength", "value": 7}', b"x" * (80 * 1024),
             b'{"cmd": "use", "style": "../piano"}', b'{"cmd": "bypass", "on": "maybe"}']


def hostile_models(folder) -> list[tuple[str, bool]]:
    """(an absolute model path, whether `use` accepts it): a style that predicts invalid
    numbers once the top key is played (accepted, later dropped), one whose frame rate
    would run the machine out of memory and one whose output has the wrong shape (both
    refused)."""
    from hostile import model

    return [(str(model(folder / "later.onnx", "later")), True),
            (str(model(folder / "huge.onnx", "huge", nan_on_top_key=False, fps=1e6)), False),
            (str(model(folder / "shape.onnx", "shape", nan_on_top_key=False,
                       wrong_shape=True)), False)]


def attack(address: str) -> None:
    """An oversized request (8 MB: the connection is cut before it is read), sent with the
    owner's token, and a raw TCP connection that speaks no ZeroMQ."""
    import socket

    import zmq

    from humanizer.daemon.client import secure

    client = zmq.Context.instance().socket(zmq.REQ)
    client.setsockopt(zmq.LINGER, 0)
    secure(client, None, address)
    client.connect(address)
    client.send(b"{" * (8 * 1024 * 1024))
    client.close(0)
    host, port = address[len("tcp://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(bytes(random.Random(2).randrange(256) for _ in range(4096)))


STALL_EVERY = 60  # seconds: a style that stalls the predictor is swapped in this often


def control_loop(daemon, stop: threading.Event, log: list, hostile: list | None = None,
                 stalling: str | None = None) -> None:
    """Every second: swap a style, toggle bypass, change strength, send a malformed
    request; with `hostile` models also swap one of them in and attack the control port;
    with a `stalling` style, swap it in on channel 9 at 5 s and then once a minute (its
    load check passes; the top key stalls it for seconds: the watchdog drops it, and the
    stalled run ends on its own - one a minute, so the two cores stay the stream's).
    Each reply is logged with whether it should have been accepted."""
    rng = random.Random(1)
    second = 0
    while not stop.wait(1.0):
        style = ("drums", "piano")[second % 2]
        requests = [({"cmd": "use", "style": style}, True),
                    ({"cmd": "use", "style": style, "channel": 10}, True),
                    ({"cmd": "bypass", "on": second % 3 == 0}, True),
                    ({"cmd": "set", "key": "strength", "value": rng.random()}, True),
                    (MALFORMED[second % len(MALFORMED)], False)]
        if hostile:
            path, good = hostile[second % len(hostile)]
            requests.insert(1, ({"cmd": "use", "style": path, "channel": 1 + second % 8},
                                good))
            attack(daemon.control)
        if stalling and second % STALL_EVERY == 5:
            requests.insert(1, ({"cmd": "use", "style": stalling, "channel": 9}, True))
        for request, good in requests:
            try:
                reply = daemon.ask(request)
            except Exception as error:  # no answer in time: logged, and fails the soak
                reply = {"ok": None, "error": repr(error)}
            log.append((request if isinstance(request, dict) else request[:30], good, reply))
        second += 1
