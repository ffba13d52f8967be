"""`humanizer serve`: the real-time humanizer between MIDI ports (see humanizer.daemon).

Channels are counted 1-16 on the command line, as musicians do (10 = General MIDI drums).
"""

from __future__ import annotations

import argparse

from humanizer import models, values
from humanizer.commands import checked
from humanizer.commands.humanize import add_style_arguments
from humanizer.daemon.control import DEFAULT_CONTROL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency", default=values.DEFAULT_LATENCY, metavar="TIME",
                        type=checked(values.latency),
                        help="lookahead delay of every event, e.g. 500ms or 0.25s; "
                             "compensate it with a negative track delay in the DAW "
                             "(default 500ms)")
    add_style_arguments(parser)
    parser.add_argument("--api", default="auto", choices=["auto", "jack", "alsa", "coremidi",
                                                           "winmm"],
                        help="MIDI system (auto: JACK if a JACK server runs)")
    parser.add_argument("--in", dest="in_port", metavar="NAME",
                        help="read from this existing port instead of a virtual one")
    parser.add_argument("--out", dest="out_port", metavar="NAME",
                        help="play to this existing port instead of a virtual one")
    parser.add_argument("--control", default=DEFAULT_CONTROL, metavar="ADDRESS",
                        type=checked(lambda t: values.address(t, "--control")),
                        help=f"ZeroMQ control address (default {DEFAULT_CONTROL})")
    parser.add_argument("--events", metavar="ADDRESS",
                        type=checked(lambda t: values.address(t, "--events")),
                        help="ZeroMQ address publishing events and stats (default: the "
                             "control port + 1)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback control address (needs --curve-keys)")
    parser.add_argument("--curve-keys", metavar="DIR",
                        help="folder with server.key_secret and clients/*.key for CURVE")


def run(args: argparse.Namespace) -> int:
    from humanizer.daemon.service import ServeOptions, serve
    from humanizer.daemon.settings import Settings

    settings = Settings(latency=args.latency, strength=args.strength, timing=args.timing,
                        feel=args.feel, velocity_min=args.velocity_min,
                        velocity_max=args.velocity_max)
    values.velocity_range(settings.velocity_min, settings.velocity_max)
    channel_styles = {**models.default_channel_styles(args.style is not None),
                      **dict(args.channel_style)}
    options = ServeOptions(
        settings=settings, style=args.style or models.DEFAULT_STYLE,
        channel_styles=channel_styles, skip=frozenset(args.skip_channel), api=args.api,
        in_port=args.in_port, out_port=args.out_port, control=args.control,
        events=args.events, allow_remote=args.allow_remote, curve_keys=args.curve_keys)
    return serve(options)
