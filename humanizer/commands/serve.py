"""`humanizer serve`: the real-time humanizer between MIDI ports (see humanizer.daemon).

Channels are counted 1-16 on the command line, as musicians do (10 = General MIDI drums).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from humanizer import models, values
from humanizer.commands import checked
from humanizer.commands.humanize import add_style_arguments
from humanizer.daemon.control import DEFAULT_CONTROL
from humanizer.daemon.panel import DEFAULT_PORT as PANEL_PORT


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
    parser.add_argument("--panel", type=checked(lambda t: values.integer("--panel", t, 1,
                                                                         65535)),
                        nargs="?", const=PANEL_PORT, metavar="PORT",
                        help="serve the live panel on this machine: a page showing each "
                             f"channel's velocities in and out, to change the settings "
                             f"(default port {PANEL_PORT}; its address is printed at start)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback control address (needs --curve-keys)")
    parser.add_argument("--curve-keys", metavar="DIR",
                        help="folder with server.key_secret and clients/*.key for CURVE")
    parser.add_argument("--meter", metavar="METER", type=checked(values.meter),
                        help="the time signature of the bars the DAW's MIDI clock counts "
                             "(default 4/4), or where the song changes it, each change with "
                             "its bar: \"4/4 3/4@17\"; score-aware styles hear where each "
                             "note falls")
    parser.add_argument("--bpm", metavar="TEMPO", type=checked(values.bpm),
                        help="without MIDI clock: a grid at this tempo from the first note "
                             "(default off - without clock the meter is unknown)")
    parser.add_argument("--no-clock-thru", dest="clock_thru", action="store_const",
                        const=False, help="do not pass MIDI clock, Start, Stop and Song "
                                          "Position on to the output")
    parser.add_argument("--clock-thru", dest="clock_thru", action="store_const", const=True,
                        help="pass them on (the default; wins over clock_thru = false in "
                             "the config file)")
    parser.add_argument("--bypass", action="store_const", const=True,
                        help="start with velocities passing through unchanged (the delay "
                             "stays); ctl bypass off turns the model on")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="settings file (TOML; default: $HUMANIZER_CONFIG or "
                             "~/.config/humanizer/config.toml if there is one); a flag "
                             "given here wins over it")
    # a flag not given stays None, so the config file and then the default can fill it
    parser.set_defaults(latency=None, strength=None, timing=None, feel=None, articulation=None,
                        velocity_min=None, velocity_max=None, variation=None, seed=None,
                        meter=None, bpm=None, clock_thru=None)


SETTINGS = ("latency", "strength", "variation", "seed", "timing", "feel", "articulation",
            "velocity_min", "velocity_max", "meter", "bpm", "clock_thru", "bypass", "skip_channels")


def run(args: argparse.Namespace) -> int:
    from humanizer import config
    from humanizer.daemon.service import ServeOptions, serve
    from humanizer.daemon.settings import Settings

    configured, source = config.load(args.config)
    flags = {**vars(args), "skip_channels": frozenset(args.skip_channel) or None}
    chosen, sources = config.effective(flags, configured, vars(Settings()), SETTINGS)
    chosen["channel_strength"] = config.channel_strengths(args.channel_strength, configured)
    sources["channel_strength"] = ("flag" if args.channel_strength else "config"
                                   if "channel_strength" in configured else "default")
    settings = Settings(**chosen)
    values.velocity_range(settings.velocity_min, settings.velocity_max)
    style = args.style or configured.get("style")
    channel_roles = {**configured.get("roles", {}), **dict(args.channel_role)}
    channel_styles = {**models.default_channel_styles(style is not None, channel_roles),
                      **configured.get("channels", {}), **dict(args.channel_style)}
    for key, given in (("style", args.style), ("channels", args.channel_style),
                       ("roles", args.channel_role)):
        sources[key] = "flag" if given else "config" if key in configured else "default"
    options = ServeOptions(
        settings=settings, style=style or models.DEFAULT_STYLE,
        channel_styles=channel_styles, channel_roles=channel_roles,
        sources=sources, config=None if source is None else str(source), api=args.api,
        in_port=args.in_port, out_port=args.out_port, control=args.control,
        events=args.events, allow_remote=args.allow_remote, curve_keys=args.curve_keys,
        panel=args.panel)
    return serve(options)
