"""Command-line front ends: `humanizer serve` (the daemon) and `humanizer ctl` (its remote).

Channels are counted 1-16 on the command line, as musicians do (10 = General MIDI drums).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import zmq

from humanizer.daemon.control import DEFAULT_CONTROL, is_loopback
from humanizer.errors import HumanizerError
from humanizer.timeparse import parse_duration


# -- serve ---------------------------------------------------------------------------------
def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency", default="500ms", metavar="TIME",
                        help="lookahead delay of every event, e.g. 500ms or 0.25s; "
                             "compensate it with a negative track delay in the DAW "
                             "(default 500ms)")
    parser.add_argument("--style", default=None,
                        help="style for every channel (default: piano, and drums on "
                             "channel 10 when installed)")
    parser.add_argument("--channel-style", action="append", default=[], metavar="N=STYLE",
                        help="style for MIDI channel N (1-16), e.g. 10=drums; repeatable")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="0 keeps your velocities, 1 plays the model's (default 1)")
    parser.add_argument("--timing", type=float, default=0.0, metavar="AMOUNT",
                        help="0..1 of the onset offsets a style with a timing head (drums) "
                             "predicts: notes move by up to 50 ms, never before they came "
                             "in (default 0: on your grid)")
    parser.add_argument("--api", default="auto", choices=["auto", "jack", "alsa", "coremidi",
                                                           "winmm"],
                        help="MIDI system (auto: JACK if a JACK server runs)")
    parser.add_argument("--in", dest="in_port", metavar="NAME",
                        help="read from this existing port instead of a virtual one")
    parser.add_argument("--out", dest="out_port", metavar="NAME",
                        help="play to this existing port instead of a virtual one")
    parser.add_argument("--control", default=DEFAULT_CONTROL, metavar="ADDRESS",
                        help=f"ZeroMQ control address (default {DEFAULT_CONTROL})")
    parser.add_argument("--events", metavar="ADDRESS",
                        help="ZeroMQ address publishing events and stats (default: the "
                             "control port + 1)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback control address (needs --curve-keys)")
    parser.add_argument("--curve-keys", metavar="DIR",
                        help="folder with server.key_secret and clients/*.key for CURVE")


def channel_styles(pairs: list[str], style_given: bool) -> dict[int, str]:
    """`N=STYLE` options as {channel 0-15: style}; drums on channel 10 by default, like
    offline humanizing, when no --style is given and a drums style is installed."""
    from humanizer import models

    chosen = models.default_channel_styles(style_given)
    for pair in pairs:
        number, _, style = pair.partition("=")
        if not number.strip().isdigit() or not 1 <= int(number) <= 16 or not style.strip():
            raise HumanizerError(f"--channel-style {pair}: write CHANNEL=STYLE with a channel "
                                 "from 1 to 16, e.g. 10=drums")
        chosen[int(number) - 1] = style.strip()
    return chosen


def serve(args: argparse.Namespace) -> int:
    from humanizer import models
    from humanizer.daemon.service import ServeOptions
    from humanizer.daemon.service import serve as run
    from humanizer.offline import fraction

    fraction("--strength", args.strength)
    fraction("--timing", args.timing)
    options = ServeOptions(
        latency=parse_duration(args.latency), style=args.style or models.DEFAULT_STYLE,
        channel_styles=channel_styles(args.channel_style, args.style is not None),
        api=args.api, in_port=args.in_port, out_port=args.out_port, control=args.control,
        events=args.events, allow_remote=args.allow_remote, curve_keys=args.curve_keys,
        strength=args.strength, timing=args.timing)
    return run(options)


# -- ctl -----------------------------------------------------------------------------------
def add_ctl_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--control", default=DEFAULT_CONTROL, metavar="ADDRESS",
                        help=f"the daemon's control address (default {DEFAULT_CONTROL})")
    parser.add_argument("--timeout", default="2s", metavar="TIME",
                        help="give up when the daemon does not answer within this (default 2s)")
    parser.add_argument("--curve-keys", metavar="DIR",
                        help="folder with server.key and client.key_secret (remote daemons)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("status", help="ports, styles, settings and counters")
    actions.add_parser("models", help="installed styles and which are playing")
    use = actions.add_parser("use", help="play a style (loaded and checked first)")
    use.add_argument("style")
    use.add_argument("--channel", type=int, help="only on this channel (1-16)")
    setting = actions.add_parser("set", help="change a setting: strength, timing, latency, "
                                             "velocity_min, velocity_max, seed, bypass")
    setting.add_argument("key")
    setting.add_argument("value")
    bypass = actions.add_parser("bypass", help="pass velocities through unchanged (on|off)")
    bypass.add_argument("state", choices=["on", "off"])
    actions.add_parser("panic", help="release every sounding note now")
    stats = actions.add_parser("stats", help="notes in/out, inference times, late notes")
    stats.add_argument("--watch", action="store_true", help="print the published stats live")


def _value(text: str) -> object:
    """`0.5` -> 0.5, `true` -> True, anything not JSON (like `250ms`) stays a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def request_of(args: argparse.Namespace) -> dict:
    if args.action == "use":
        request = {"cmd": "use", "style": args.style}
        if args.channel is not None:
            request["channel"] = args.channel
        return request
    if args.action == "set":
        return {"cmd": "set", "key": args.key, "value": _value(args.value)}
    if args.action == "bypass":
        return {"cmd": "bypass", "on": args.state == "on"}
    return {"cmd": args.action}


def _secure(socket: zmq.Socket, folder: str | None, address: str) -> None:
    """CURVE client keys for a remote daemon (see the README: remote control)."""
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
    context = zmq.Context.instance()
    socket = context.socket(zmq.REQ)
    try:
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.RCVTIMEO, int(timeout * 1000))
        socket.setsockopt(zmq.SNDTIMEO, int(timeout * 1000))
        socket.setsockopt(zmq.IPV6, 1)
        _secure(socket, curve_keys, address)
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
    return json.loads(reply)


def watch(args: argparse.Namespace, events: str, timeout: float) -> int:
    """Print every stats message the daemon publishes until interrupted."""
    socket = zmq.Context.instance().socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.IPV6, 1)
    socket.setsockopt(zmq.RCVTIMEO, int(max(timeout, 3.0) * 1000))
    _secure(socket, args.curve_keys, events)
    socket.setsockopt(zmq.SUBSCRIBE, b"stats ")
    socket.connect(events)
    try:
        while True:
            try:
                message = socket.recv().decode()
            except zmq.Again:
                raise HumanizerError(f"no stats from {events}: did the daemon stop?") from None
            print(time.strftime("%H:%M:%S"), message.partition(" ")[2], flush=True)
    except KeyboardInterrupt:
        return 0
    finally:
        socket.close(0)


def ctl(args: argparse.Namespace) -> int:
    timeout = parse_duration(args.timeout)
    reply = ask(args.control, request_of(args), timeout, args.curve_keys)
    if not reply.get("ok"):
        print(f"humanizer: the daemon refused: {reply.get('error')}", file=sys.stderr)
        return 1
    reply.pop("ok")
    if args.action == "stats" and args.watch:
        status = ask(args.control, {"cmd": "status"}, timeout, args.curve_keys)
        return watch(args, status["events"], timeout)
    print(json.dumps(reply, indent=2) if reply else "ok")
    return 0
