"""`humanizer ctl ACTION`: control a running daemon over its ZeroMQ control channel."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from humanizer import values
from humanizer.commands import checked
from humanizer.daemon.client import ask, stats
from humanizer.daemon.control import DEFAULT_CONTROL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--control", default=DEFAULT_CONTROL, metavar="ADDRESS",
                        help=f"the daemon's control address (default {DEFAULT_CONTROL})")
    parser.add_argument("--timeout", default=values.DEFAULT_TIMEOUT, metavar="TIME",
                        type=checked(lambda t: values.duration(t, "timeout")),
                        help="give up when the daemon does not answer within this (default 2s)")
    parser.add_argument("--curve-keys", metavar="DIR",
                        help="folder with server.key and client.key_secret (remote daemons)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("status", help="ports, styles, settings and counters")
    actions.add_parser("models", help="installed styles and which are playing")
    use = actions.add_parser("use", help="play a style (loaded and checked first)")
    use.add_argument("style")
    use.add_argument("--channel", type=int, help="only on this channel (1-16)")
    setting = actions.add_parser("set", help="change a setting: strength, timing, feel, "
                                             "latency, velocity_min, velocity_max, bypass")
    setting.add_argument("key")
    setting.add_argument("value")
    bypass = actions.add_parser("bypass", help="pass velocities through unchanged (on|off)")
    bypass.add_argument("state", choices=["on", "off"])
    actions.add_parser("panic", help="release every sounding note now")
    watch = actions.add_parser("stats", help="notes in/out, inference times, late notes")
    watch.add_argument("--watch", action="store_true", help="print the published stats live")


def _value(text: str) -> object:
    """`0.5` -> 0.5, `true` -> True, anything not JSON (like `250ms`) stays a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def request_of(args: argparse.Namespace) -> dict:
    if args.action == "use":
        style = args.style
        if style.endswith(".onnx") or os.sep in style:  # a file here, not where the daemon is
            style = os.path.abspath(style)
        request = {"cmd": "use", "style": style}
        if args.channel is not None:
            request["channel"] = args.channel
        return request
    if args.action == "set":
        return {"cmd": "set", "key": args.key, "value": _value(args.value)}
    if args.action == "bypass":
        return {"cmd": "bypass", "on": args.state == "on"}
    return {"cmd": args.action}


def run(args: argparse.Namespace) -> int:
    reply = ask(args.control, request_of(args), args.timeout, args.curve_keys)
    if not reply.get("ok"):
        print(f"humanizer: the daemon refused: {reply.get('error')}", file=sys.stderr)
        return 1
    reply.pop("ok")
    if args.action == "stats" and args.watch:
        status = ask(args.control, {"cmd": "status"}, args.timeout, args.curve_keys)
        try:
            for body in stats(status["events"], args.timeout, args.curve_keys):
                print(time.strftime("%H:%M:%S"), body, flush=True)
        except KeyboardInterrupt:
            return 0
    print(json.dumps(reply, indent=2) if reply else "ok")
    return 0
