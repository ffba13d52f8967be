"""`humanizer ctl ACTION`: control a running daemon over its ZeroMQ control channel."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from humanizer import values
from humanizer.commands import checked
from humanizer.commands.replies import counters_line, text_of
from humanizer.daemon.client import ask, stats
from humanizer.daemon.control import DEFAULT_CONTROL


def add_connection(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    """Where the daemon is. Given to `ctl` and again to each action, so the options may
    come before or after it (`ctl status --control ...`); an action's copy has no default
    and so overrides only when given."""
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--control", default=default(DEFAULT_CONTROL), metavar="ADDRESS",
                        type=checked(lambda t: values.address(t, "--control")),
                        help=f"the daemon's control address (default {DEFAULT_CONTROL})")
    parser.add_argument("--timeout", default=default(values.DEFAULT_TIMEOUT), metavar="TIME",
                        type=checked(lambda t: values.duration(t, "timeout")),
                        help="give up when the daemon does not answer within this (default 2s)")
    parser.add_argument("--curve-keys", default=default(None), metavar="DIR",
                        help="folder with server.key and client.key_secret (remote daemons)")
    parser.add_argument("--json", action="store_true", default=default(False),
                        help="print the daemon's reply as JSON (for scripts)")


SETTINGS_HELP = ("strength 0..1, variation 0..1, seed 0..2147483647, timing 0..1, feel "
                 "-50ms..50ms (with timing), latency 0ms..5s, velocity_min and velocity_max "
                 "1..127, bypass on|off, meter N/D (e.g. 6/8, or \"4/4 3/4@17\": 3/4 from "
                 "bar 17), bpm 20..400|off (a grid without clock), clock_thru on|off, "
                 "skip_channels 4,5|none (pass untouched), role N=ROLE (a channel's role "
                 "in the band: drums, bass, lead, comping, pad or keys; its style plays it)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection(parser)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        add_connection(sub, defaults=False)
        return sub

    action("status", "ports, styles, settings, threads and counters")
    action("models", "installed styles and which are playing")
    use = action("use", "play a style (loaded and checked first)")
    use.add_argument("style", help="a style name (humanizer models) or an .onnx file")
    use.add_argument("--channel", type=checked(values.channel),
                     help="only on this channel (1-16); default: every channel without its own")
    setting = action("set", f"change a setting: {SETTINGS_HELP}")
    setting.add_argument("key", help="the setting: strength, variation, seed, timing, feel, "
                                     "latency, velocity_min, velocity_max, bypass, meter, bpm, "
                                     "clock_thru, skip_channels or role")
    setting.add_argument("value", nargs="+", help="its new value, e.g. 0.5, 250ms, -8ms, on "
                                                  "(a meter that changes: 4/4 3/4@17)")
    setting.add_argument("--channel", type=checked(values.channel),
                         help="strength only: set this channel's own (1-16); the value none "
                              "gives it the strength of the rest again")
    bypass = action("bypass", "pass velocities through unchanged (on|off)")
    bypass.add_argument("state", choices=["on", "off"])
    action("panic", "release every sounding note now")
    watch = action("stats", "notes in/out, inference times, late notes")
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
            request["channel"] = args.channel + 1  # the wire counts channels 1-16 too
        return request
    if args.action == "set":
        request = {"cmd": "set", "key": args.key, "value": _value(" ".join(args.value))}
        if getattr(args, "channel", None) is not None:
            request["channel"] = args.channel + 1
        return request
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
            for body in stats(status["events"], args.timeout, args.curve_keys,
                              args.control):
                print(time.strftime("%H:%M:%S"),
                      body if args.json else counters_line(json.loads(body)), flush=True)
        except KeyboardInterrupt:
            return 0
    print(json.dumps(reply, indent=2) if args.json else text_of(args.action, reply))
    return 0
