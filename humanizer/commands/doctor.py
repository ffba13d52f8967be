"""`humanizer doctor`: can `humanizer serve` start here, and with what?

It looks - it changes nothing: which MIDI systems python-rtmidi was built with and which
answer now (a JACK server, PipeWire's JACK layer, the ALSA sequencer, CoreMIDI), the ports
`serve` would open, the installed styles with their licences, and a latency to start
with. Exit status 0 when `serve` would start, 1 when it would not (and why).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from humanizer import models, values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", default="auto",
                        choices=["auto", "jack", "alsa", "coremidi", "winmm"],
                        help="the MIDI system `serve` would be given (default auto)")


def systems() -> dict[str, tuple[bool, str]]:
    """Per MIDI system: (usable now, what was found)."""
    import rtmidi

    from humanizer.daemon import jackserver

    compiled = set(rtmidi.get_compiled_api())
    found: dict[str, tuple[bool, str]] = {}
    if rtmidi.API_UNIX_JACK in compiled:
        running = jackserver.server_running()
        pipewire = shutil.which("pw-jack") is not None
        found["jack"] = (running, "a JACK server answers" if running else
                         "no JACK server answers (start one: jackd, QjackCtl"
                         + (", or run under pw-jack for PipeWire" if pipewire else "") + ")")
    if rtmidi.API_LINUX_ALSA in compiled:
        seq = os.path.exists("/dev/snd/seq")
        found["alsa"] = (seq, "the ALSA sequencer is there" if seq else
                         "no ALSA sequencer (/dev/snd/seq; modprobe snd-seq)")
    if rtmidi.API_MACOSX_CORE in compiled:
        found["coremidi"] = (True, "CoreMIDI: virtual ports humanizer-in and humanizer-out")
    if rtmidi.API_WINDOWS_MM in compiled:
        found["winmm"] = (True, "Windows MIDI: no virtual ports; create two with loopMIDI "
                                "and give --in NAME --out NAME")
    return found


def chosen(api: str, found: dict[str, tuple[bool, str]]) -> str | None:
    """The system `serve --api API` would use, or None when none would work."""
    if api != "auto":
        return api if found.get(api, (False, ""))[0] else None
    for name in ("jack", "alsa", "coremidi", "winmm"):
        if found.get(name, (False, ""))[0]:
            return name
    return None


def run(args: argparse.Namespace) -> int:
    found = systems()
    print("MIDI systems:")
    for name, (usable, what) in found.items():
        print(f"  {'ok ' if usable else 'no '} {name:9} {what}")
    api = chosen(args.api, found)
    installed = models.styles()
    print("styles:")
    for name in sorted(installed):
        try:
            contract = models.describe(name)
            print(f"  ok  {name:9} {contract.instrument:6} {contract.licence}")
        except Exception as error:  # a broken style file is reported, not fatal here
            print(f"  no  {name:9} {str(error)[:100]}")
    problems = []
    if api is None:
        problems.append("no MIDI system answers" + (f" for --api {args.api}"
                                                     if args.api != "auto" else ""))
    if models.DEFAULT_STYLE not in installed:
        problems.append(f"the default style '{models.DEFAULT_STYLE}' is not installed")
    if api is not None:
        ports = ("humanizer-in:in and humanizer-out:out" if api in ("jack", "alsa")
                 else "humanizer-in and humanizer-out" if api == "coremidi"
                 else "the ports given with --in and --out")
        print(f"serve would use {api}: {ports}")
    print(f"latency: {values.DEFAULT_LATENCY * 1000:g}ms for a DAW track you compensate "
          "(track delay -500 ms); 250ms when you play live through it (most of the "
          "lookahead's value is in its first 250 ms)")
    if problems:
        print(f"humanizer: serve would not start: {'; '.join(problems)}", file=sys.stderr)
        return 1
    print("serve would start")
    return 0
