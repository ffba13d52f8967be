"""`humanizer play FILE`: play a MIDI file into a MIDI port - by default the daemon's
input - as a DAW would: the way to hear and see the daemon (and its live panel) at work
without a DAW. Ctrl-C stops it with every note released."""

from __future__ import annotations

import argparse
import time

from humanizer.notes import read

DAEMON_INPUT = "humanizer-in"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the MIDI file to play")
    parser.add_argument("--to", default=DAEMON_INPUT, metavar="PORT",
                        help=f"the MIDI port to play into (default {DAEMON_INPUT}, the "
                             "daemon's input; any part of the port's name)")
    parser.add_argument("--api", default="auto",
                        choices=["auto", "jack", "alsa", "coremidi", "winmm"],
                        help="MIDI system (auto: JACK if a JACK server runs)")


def silence() -> list[list[int]]:
    """Pedal up and all notes off on every channel."""
    return [[0xB0 | channel, controller, 0] for channel in range(16)
            for controller in (64, 123)]


def run(args: argparse.Namespace) -> int:
    import rtmidi

    from humanizer.daemon.ports import choose_api, find_port

    midi = read(args.file).midi  # a damaged file is one line, before any port opens
    port = rtmidi.MidiOut(choose_api(args.api), "humanizer-play")
    try:
        index = find_port(port, args.to, "input")
        name = port.get_ports()[index]
        port.open_port(index, "out")
        print(f"playing {args.file} ({midi.length:.1f} s) into {name}; Ctrl-C stops")
        sent = 0
        try:
            for message in midi.play():  # mido waits each message's time
                if not message.is_meta:
                    port.send_message(message.bytes())
                    sent += message.type == "note_on" and message.velocity > 0
        except KeyboardInterrupt:
            print("stopped")
        finally:
            for message in silence():
                port.send_message(message)
            time.sleep(0.05)  # let the last messages leave before the port closes
        print(f"played {sent} notes")
    finally:
        port.close_port()
        del port
    return 0
