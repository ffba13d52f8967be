"""MIDI ports through python-rtmidi: choosing the MIDI system, opening the ports, reading.

Under JACK each rtmidi object is its own JACK client, so input and output get distinct,
stable client names (`humanizer-in:in`, `humanizer-out:out`) that patchbays can remember.
Where there are no virtual ports (Windows) the daemon connects to existing ones by name.

Input is polled from a Python thread with `get_message()`, never handled in rtmidi's
callback: under JACK that callback runs in the audio thread, and Python work there loses
and reorders messages in bursts. Polling adds delay, which ArrivalClock takes back out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import rtmidi

from humanizer.daemon import jackserver
from humanizer.errors import HumanizerError

APIS = {"jack": rtmidi.API_UNIX_JACK, "alsa": rtmidi.API_LINUX_ALSA,
        "coremidi": rtmidi.API_MACOSX_CORE, "winmm": rtmidi.API_WINDOWS_MM}
VIRTUAL_PORTS = {rtmidi.API_UNIX_JACK, rtmidi.API_LINUX_ALSA, rtmidi.API_MACOSX_CORE}
IN_CLIENT, OUT_CLIENT = "humanizer-in", "humanizer-out"
QUEUE_SIZE = 1 << 16  # messages rtmidi may hold between two polls (bursts of thousands)
POLL_SECONDS = 0.001  # the input's poll while messages come
# after IDLE_AFTER seconds without one, the poll backs off: an idle daemon woke a thousand
# times a second (4 % of a core). The first message after a pause is then seen up to
# IDLE_POLL_SECONDS late, but its arrival time is not (ArrivalClock: rtmidi's own deltas,
# the drift allowed for a pause capped at CREEP_SECONDS' worth, 1 ms). The first message
# of all has no delta to go by: before it, the poll does not back off (a DAW's first Start
# seen 10 ms late would have moved its whole song by 10 ms)
IDLE_POLL_SECONDS = 0.01
IDLE_AFTER = 1.0
DRIFT = 1e-3  # seconds per second the MIDI system's clock may run slower than ours
CREEP_SECONDS = 1.0  # at most this much of a gap between messages counts for the drift


def api_name(api: int) -> str:
    return next((name for name, value in APIS.items() if value == api), rtmidi.get_api_name(api))


def choose_api(name: str) -> int:
    """The rtmidi API for --api: `auto` is JACK when a JACK server answers, else the
    platform's own MIDI system."""
    compiled = rtmidi.get_compiled_api()
    if name == "auto":
        if rtmidi.API_UNIX_JACK in compiled and jackserver.server_running():
            return rtmidi.API_UNIX_JACK
        for api in (rtmidi.API_LINUX_ALSA, rtmidi.API_MACOSX_CORE, rtmidi.API_WINDOWS_MM):
            if api in compiled:
                return api
        raise HumanizerError("no MIDI system found: start a JACK server, or use --api")
    if name not in APIS:
        raise HumanizerError(f"unknown MIDI system '{name}' (choose auto, {', '.join(APIS)})")
    if APIS[name] not in compiled:
        raise HumanizerError(f"this python-rtmidi was built without {name} support")
    if name == "jack" and not jackserver.server_running():
        raise HumanizerError("cannot reach a JACK server: JACK server not running?")
    return APIS[name]


@dataclass
class Ports:
    midi_in: rtmidi.MidiIn
    midi_out: rtmidi.MidiOut
    api: int
    input_name: str
    output_name: str

    def close(self) -> None:
        for port in (self.midi_in, self.midi_out):
            port.close_port()
            port.delete()


def find_port(port: rtmidi.MidiIn | rtmidi.MidiOut, wanted: str, direction: str) -> int:
    """The index of the one existing port whose name contains `wanted` (any case)."""
    names = port.get_ports()
    matches = [i for i, name in enumerate(names) if wanted.lower() in name.lower()]
    exact = [i for i in matches if names[i].lower() == wanted.lower()]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    listed = ", ".join(names) or "none"
    if not matches:
        raise HumanizerError(f"no MIDI {direction} port called '{wanted}' (found: {listed})")
    raise HumanizerError(f"'{wanted}' matches several MIDI {direction} ports: {listed}")


def _open(port: rtmidi.MidiIn | rtmidi.MidiOut, api: int, client: str, existing: str | None,
          direction: str) -> str:
    """Open a virtual port, or connect to an existing one; returns the name to print."""
    if existing is not None:
        index = find_port(port, existing, direction)
        name = port.get_ports()[index]
        port.open_port(index, client.split("-")[-1])
        return f"{client} <-> {name}"
    if api not in VIRTUAL_PORTS:
        raise HumanizerError(f"{api_name(api)} has no virtual ports: create one (e.g. with "
                             f"loopMIDI) and give it with --{client.split('-')[-1]} NAME")
    if api == rtmidi.API_MACOSX_CORE:  # CoreMIDI shows the port name alone
        port.open_virtual_port(client)
        return client
    short = client.split("-")[-1]
    port.open_virtual_port(short)
    return f"{client}:{short}"


def _refuse_taken_names(midi_in: rtmidi.MidiIn, midi_out: rtmidi.MidiOut) -> None:
    """JACK would rename a second `humanizer-in` to `humanizer-in-01` (and a second
    `humanizer-out`, whoever made the first), silently breaking saved connections, and the
    banner would name ports that are not ours; a clear refusal is better. Called before
    our own ports are open: any port of those clients is another's."""
    taken = [name for name in midi_out.get_ports() if name.split(":")[0] == IN_CLIENT]
    taken += [name for name in midi_in.get_ports() if name.split(":")[0] == OUT_CLIENT]
    if taken:
        raise HumanizerError(f"JACK already has a port {taken[0]}: another humanizer serve "
                             "is running on this JACK server (or a program took the name)")


def open_ports(api: int, in_port: str | None = None, out_port: str | None = None) -> Ports:
    """The daemon's input and output port (virtual unless a name of an existing one is
    given); every MIDI message type is let through, sysex and clock included."""
    try:
        midi_in = rtmidi.MidiIn(api, IN_CLIENT, queue_size_limit=QUEUE_SIZE)
        midi_out = rtmidi.MidiOut(api, OUT_CLIENT)
    except rtmidi.SystemError as error:
        hint = " JACK server not running?" if api == rtmidi.API_UNIX_JACK else ""
        raise HumanizerError(f"cannot open {api_name(api)} MIDI ports ({error}).{hint}") from None
    midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
    if api == rtmidi.API_UNIX_JACK:
        _refuse_taken_names(midi_in, midi_out)
    try:
        input_name = _open(midi_in, api, IN_CLIENT, in_port, "input")
        output_name = _open(midi_out, api, OUT_CLIENT, out_port, "output")
    except rtmidi.RtMidiError as error:
        raise HumanizerError(f"cannot open the MIDI ports ({error})") from None
    return Ports(midi_in, midi_out, api, input_name, output_name)


class ArrivalClock:
    """When did a message really arrive? rtmidi gives each message's time since the
    previous one, measured by the MIDI system; our poll sees it up to a poll (or a busy
    interpreter) later. So arrival = the sum of rtmidi's deltas + an offset to our clock,
    where the offset is the smallest (seen - sum) so far - the poll that came soonest after
    an arrival. The offset may creep up by DRIFT per second to follow a slower MIDI clock.
    """

    def __init__(self) -> None:
        self._midi_time: float | None = None
        self._offset = float("inf")
        self._last_seen = 0.0

    def arrival(self, delta: float, seen: float) -> float:
        if self._midi_time is None:
            self._midi_time = 0.0
        else:
            self._midi_time += max(delta, 0.0)
            # the creep of one gap is capped: after a pause the first message may be seen
            # an idle poll late, and a creep of DRIFT x 30 s let that lateness through
            self._offset += DRIFT * min(max(seen - self._last_seen, 0.0), CREEP_SECONDS)
        self._last_seen = seen
        self._offset = min(self._offset, seen - self._midi_time)
        return self._midi_time + self._offset


class Reader:
    """Polls the input port and hands each message and its arrival time on. `run` is the
    loop, for a thread of the daemon's supervisor."""

    def __init__(self, midi_in: rtmidi.MidiIn, deliver: Callable[[list[int], float], None],
                 clock: Callable[[], float] = time.monotonic):
        self._midi_in = midi_in
        self._deliver = deliver
        self._clock = clock
        self._stop = threading.Event()
        self._done = threading.Event()

    def stop(self) -> None:
        """Stop reading; returns once what came before the stop was handed on."""
        self._stop.set()
        self._done.wait(timeout=5)

    def run(self) -> None:
        arrivals = ArrivalClock()
        last = None  # no message yet: the first one's arrival is when it is seen (no delta
        # before it to go by), so until it comes the poll stays at POLL_SECONDS
        while not self._stop.is_set():
            item = self._midi_in.get_message()
            if item is None:
                idle = last is not None and self._clock() - last > IDLE_AFTER
                self._stop.wait(IDLE_POLL_SECONDS if idle else POLL_SECONDS)
                continue
            message, delta = item
            last = self._clock()
            self._deliver(message, arrivals.arrival(delta, last))
        while (item := self._midi_in.get_message()) is not None:  # what came before stop
            self._deliver(item[0], arrivals.arrival(item[1], self._clock()))
        self._done.set()
