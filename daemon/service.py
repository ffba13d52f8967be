"""`humanizer serve`: the ports, the scheduler and the control channel, run together.

The main thread owns the ZeroMQ sockets and the signals; the MIDI reader, the sender and
the predictor run in their own threads. Startup order matters: the control address is
bound first (a second daemon fails at once with a clear line), then the models are
loaded, then the ports open - so a musician never sees ports that do not work.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

from humanizer import models, values
from humanizer.daemon import jackserver
from humanizer.daemon.control import ControlServer, RequestError, answer
from humanizer.daemon.guard import more_descriptors
from humanizer.daemon.memory import steady_allocator
from humanizer.daemon.panel import Panel
from humanizer.daemon.ports import Ports, Reader, api_name, choose_api, open_ports
from humanizer.daemon.say import say
from humanizer.daemon.scheduler import Scheduler
from humanizer.daemon.settings import Settings
from humanizer.daemon.stylemap import StyleMap
from humanizer.engine import without_timing
from humanizer.errors import HumanizerError
from humanizer.meter import signatures_text
from humanizer.roles import program_role

STATS_SECONDS = 1.0  # how often stats are published
# what stops the daemon cleanly (play out, release every note): a closed terminal or a
# dropped SSH session (SIGHUP), Ctrl-\ (SIGQUIT) and the user signals too, which would
# otherwise kill it at once with notes and the pedal left on
STOP_SIGNALS = tuple(getattr(signal, name) for name in
                     ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
                     if hasattr(signal, name))
POLL_SECONDS = 0.05  # the main loop's control poll (also how fast signals are noticed)
TRAINING_MODULES = ("tensorflow", "keras", "tf2onnx", "onnx")


@dataclass
class ServeOptions:
    settings: Settings
    style: str
    channel_styles: dict[int, str] = field(default_factory=dict)  # 0-15 -> style
    channel_roles: dict[int, str] = field(default_factory=dict)  # 0-15 -> role, as set
    sources: dict[str, str] = field(default_factory=dict)  # setting -> flag|config|default
    config: str | None = None  # the settings file read, if any
    api: str = "auto"
    in_port: str | None = None
    out_port: str | None = None
    control: str = "tcp://127.0.0.1:5555"
    events: str | None = None
    allow_remote: bool = False
    curve_keys: str | None = None
    panel: int | None = None  # the live panel's port, if there is one


def training_modules_loaded() -> list[str]:
    """Heavy training-only modules in this process: the runtime must never load any."""
    return [name for name in TRAINING_MODULES if name in sys.modules]


class Service:
    def __init__(self, options: ServeOptions):
        self.options = options
        self.started = time.monotonic()
        self.stops = 0  # signals received: 1 = finish playing what was heard, 2 = now
        self.control = ControlServer(options.control, options.events, options.allow_remote,
                                     options.curve_keys)
        self.ports: Ports | None = None
        self.panel: Panel | None = None
        self.watch: jackserver.ServerWatch | None = None
        self._sources = 0  # connections to the input port at the last look (JACK)
        try:
            self.styles = StyleMap(options.style, options.channel_styles,
                                   options.channel_roles)
            refusal = without_timing(self.styles.loaded().values(), "--timing",
                                     "see humanizer models")
            if options.settings.timing and refusal:
                raise HumanizerError(refusal)
            refusal = without_timing(self.styles.loaded().values(), "--articulation",
                                     "see humanizer models", lengths=True)
            if options.settings.articulation and refusal:
                raise HumanizerError(refusal)
            api = choose_api(options.api)
            self.ports = open_ports(api, options.in_port, options.out_port)
            if api_name(api) == "jack":
                self.watch = jackserver.ServerWatch()
            self.scheduler = Scheduler(self.styles, self.ports.midi_out.send_message,
                                       options.settings)
            self.reader = Reader(self.ports.midi_in, self.scheduler.receive)
            if options.panel is not None:
                self.panel = Panel(options.panel)
        except BaseException:
            self._close()
            raise

    # -- running -----------------------------------------------------------------------------
    def run(self) -> int:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        self.scheduler.start()
        self.scheduler.supervisor.start("reader", self.reader.run)
        latency = f"{self.scheduler.settings.latency * 1000:g}ms"
        say(f"listening on {self.ports.input_name}, playing on {self.ports.output_name} "
            f"({api_name(self.ports.api)}); latency {latency}: set the DAW track's delay to "
            f"-{latency}; control {self.control.address}, events {self.control.events}")
        settings = self.scheduler.settings
        grid = f"until then a {settings.bpm:g} bpm grid from the first note" \
            if settings.bpm else "until then the meter is unknown"
        say(f"meter {signatures_text(settings.meter)} once the DAW sends MIDI clock to "
            f"{self.ports.input_name} ({grid})")
        if settings.bypass:
            say("bypass is on: velocities pass through unchanged (ctl bypass off)")
        if self.panel is not None:
            self.panel.start()
            say(f"live panel: open {self.panel.address} in a browser on this machine")
        next_stats = time.monotonic()
        while not self.stops:
            if self.watch is not None and self.watch.gone.is_set():
                say("the JACK server went away; stopping")
                self._close()
                return 1
            if self.scheduler.supervisor.failed.is_set():
                return self._give_up()
            self.scheduler.abandon_stalled()
            self._follow_programs()
            while self.scheduler.events:
                self.control.publish(*self.scheduler.events.popleft())
            self._release_if_unplugged()
            if released := self.scheduler.let_go_of_stale():
                say(f"released {released} notes held far longer than their channel's "
                    "longest: their note-offs were lost")
                self.control.publish("stale", {"released": released})
            self.control.serve(self.handle, POLL_SECONDS)
            if self.panel is not None:
                self.panel.inbox.answer_all(
                    lambda request: answer(self.handle, [json.dumps(request).encode()]))
            if time.monotonic() >= next_stats:
                self.control.publish("stats", self.stats())
                next_stats = time.monotonic() + STATS_SECONDS
        self.shutdown()
        return 0

    def _follow_programs(self) -> None:
        """A program change on a channel whose style nobody chose gives it the style of
        the GM program's usual role (a bass program: the bass style), as offline a track's
        program does: live a track's name is never heard, but a DAW sends each track's
        program. Channels given a style or a role (flag, config, ctl) and channel 10 keep
        theirs, and so does every channel when one style was chosen for all."""
        while self.scheduler.programs:
            channel, program = self.scheduler.programs.popleft()
            if (self.options.sources.get("style", "default") != "default"
                    or channel in self.options.channel_styles
                    or channel in self.styles.set_roles):
                continue
            role = program_role(program)
            if self.styles.roles.get(channel) == role:
                continue
            style = models.role_style(role)
            try:
                self.styles.use(style, channel, role)
            except HumanizerError as error:
                say(f"channel {channel + 1}: {error}", error=True)
                continue
            say(f"channel {channel + 1}: GM program {program + 1} is a {role} part: "
                f"style {style}")
            self.control.publish("role", {"channel": channel + 1, "role": role,
                                          "style": style, "program": program + 1})

    def _release_if_unplugged(self) -> None:
        """When the last source leaves our JACK input (a DAW quits or crashes mid-note),
        nobody is left to send the note-offs of the notes it held: send them for it."""
        if self.watch is None or self.options.in_port is not None:
            return
        sources = self.watch.connections(self.ports.input_name)
        if sources is None:
            return
        if sources == 0 and self._sources > 0:
            released = self.scheduler.end_held_notes()
            if released:
                say(f"the input lost its last source: released {released} held notes")
                self.control.publish("unplugged", {"released": released})
        self._sources = sources

    def _give_up(self) -> int:
        """A thread failed again and again: silence everything, say so, exit non-zero -
        never a daemon that looks alive and plays nothing."""
        failed = [name for name, state in self.scheduler.supervisor.state().items()
                  if not state["alive"]]
        say(f"the {', '.join(failed)} thread kept failing; releasing every note and stopping")
        self.scheduler.panic()
        self.control.publish("failed", {"threads": failed})
        self._close()
        return 1

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stops += 1  # only a flag: the handler may interrupt code holding locks

    def shutdown(self) -> None:
        """Stop listening, play out what was already heard (unless interrupted again),
        release every sounding note, close everything."""
        self.reader.stop()
        deadline = time.monotonic() + self.scheduler.settings.latency + 1.0
        while self.scheduler.queued() and time.monotonic() < deadline and self.stops < 2:
            time.sleep(POLL_SECONDS / 5)
        if self.stops >= 2:  # a second signal: do not wait, silence now
            self.scheduler.panic()
        released = self.scheduler.release()
        self.control.publish("stopping", {"released": released})
        self._close()
        counts = self.scheduler.snapshot()
        say(f"stopped: {counts['notes_out']} notes played ({counts['late']} late), "
            f"{released} still sounding released")

    def _close(self) -> None:
        scheduler = getattr(self, "scheduler", None)
        if scheduler is not None:
            scheduler.stop()
        if self.ports is not None and (self.watch is None or not self.watch.gone.is_set()):
            self.ports.close()  # closing JACK clients of a dead server could block
        if self.watch is not None:
            self.watch.close()
        if self.panel is not None:
            self.panel.close()
        self.control.close()

    # -- control requests -------------------------------------------------------------------
    def handle(self, request: dict) -> dict:
        commands = {"status": ((), self.status), "stats": ((), self.stats),
                    "models": ((), self.models), "panic": ((), self.panic),
                    "use": (("style", "channel"), self.use),
                    "set": (("key", "value", "channel"), self.set),
                    "bypass": (("on",), self.bypass), "played": (("after",), self.played)}
        command = request["cmd"]
        if command not in commands:
            raise RequestError(f"unknown command '{command}' (commands: {', '.join(commands)})")
        allowed, function = commands[command]
        unknown = set(request) - {"cmd", *allowed}
        if unknown:
            raise RequestError(f"'{command}' takes no field {', '.join(sorted(unknown))}")
        reply = function(**{k: v for k, v in request.items() if k != "cmd"})
        return {"ok": True, **reply}

    def status(self) -> dict:
        return {"input": self.ports.input_name, "output": self.ports.output_name,
                "api": api_name(self.ports.api), "pid": os.getpid(),
                "uptime_s": round(time.monotonic() - self.started, 3),
                "control": self.control.address, "events": self.control.events,
                "styles": self.styles.describe(), "settings": self.scheduler.settings.as_dict(),
                "transport": self.scheduler.transport_state(),
                "sources": self.options.sources, "config": self.options.config,
                "panel": None if self.panel is None else self.panel.address,
                "training_modules_loaded": training_modules_loaded(),
                "stats": self.scheduler.snapshot()}

    def stats(self) -> dict:
        return self.scheduler.snapshot()

    def models(self) -> dict:
        loaded = self.styles.loaded()
        found = []
        for name, style in sorted(models.styles().items()):
            entry = {"name": name, "path": str(style.path), "packaged": style.packaged,
                     "loaded": name in loaded}
            if name in loaded:
                contract = loaded[name].contract
                entry.update(instrument=contract.instrument, description=contract.description)
            found.append(entry)
        return {"models": found, "styles": self.styles.describe()}

    def use(self, style: object = None, channel: object = None) -> dict:
        """A style by name, or by the absolute path of its .onnx file: a relative path would
        be looked up from wherever the daemon happened to start."""
        if not isinstance(style, str) or not style:
            raise RequestError("'use' needs a style name, e.g. {\"cmd\": \"use\", "
                               "\"style\": \"drums\", \"channel\": 10}")
        path_like = style.endswith(".onnx") or "/" in style or "\\" in style
        if path_like and not os.path.isabs(style):
            raise RequestError(f"'{style}': give a style name or the absolute path of an "
                               ".onnx file (humanizer ctl use makes a path absolute)")
        index = None if channel is None else values.channel(channel)
        self.styles.use(style, index)
        self.options.sources["style" if index is None else "channels"] = "ctl"
        self.control.publish("use", {"style": style, "channel": channel})
        return {"style": style, "channel": channel}

    def set(self, key: object = None, value: object = None, channel: object = None) -> dict:
        if not isinstance(key, str):
            raise RequestError("'set' needs a string 'key' and a 'value'")
        if channel is not None:
            return self.set_channel(key, value, channel)
        if key == "role":
            return self.set_role(value)
        if key == "timing" and values.amount("timing", value) > 0:
            refusal = without_timing(self.styles.loaded().values(), "timing",
                                     "ctl use drums --channel 10, for one")
            if refusal:
                raise RequestError(refusal)
        if key == "articulation" and values.amount("articulation", value) > 0:
            refusal = without_timing(self.styles.loaded().values(), "articulation",
                                     "ctl use lead, for one", lengths=True)
            if refusal:
                raise RequestError(refusal)
        settings = self.scheduler.update(key, value)
        self.options.sources[key] = "ctl"
        self.control.publish("set", {"key": key, "value": value})
        return {"settings": settings.as_dict()}

    def set_channel(self, key: str, value: object, channel: object) -> dict:
        """One channel's own strength (`none`: the strength of the rest again)."""
        if key != "strength":
            raise RequestError(f"'{key}' is one for every channel: only strength is set "
                               "per channel")
        own = self.scheduler.settings.with_channel_strength(values.channel(channel), value)
        settings = self.scheduler.update("channel_strength", list(own.channel_strength))
        self.options.sources["channel_strength"] = "ctl"
        self.control.publish("set", {"key": key, "value": value, "channel": channel})
        return {"settings": settings.as_dict()}

    def set_role(self, value: object) -> dict:
        """A channel's role in the band (`2=bass`): its role's style plays it from now,
        whatever program the channel is sent."""
        channel, role = values.channel_role(str(value))
        self.styles.use(models.role_style(role), channel, role)
        self.styles.set_roles.add(channel)
        self.options.sources["roles"] = "ctl"
        self.control.publish("set", {"key": "role", "value": value})
        return {"styles": self.styles.describe()}

    def bypass(self, on: object = None) -> dict:
        if not isinstance(on, bool):
            raise RequestError("'bypass' needs \"on\": true or false")
        self.scheduler.update("bypass", on)
        self.options.sources["bypass"] = "ctl"
        self.control.publish("bypass", {"on": on})
        return {"bypass": on}

    def played(self, after: object = None) -> dict:
        """The note-ons heard and sent since the numbers a reader saw last (`after`:
        [heard, sent], default [0, 0]): what the live panel draws, channels 1-16."""
        if after is None:
            after = [0, 0]
        if (not isinstance(after, list) or len(after) != 2
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in after)):
            raise RequestError("'played' takes \"after\": [heard, sent], two note numbers")

        def wire(notes: list) -> list[list]:
            return [[n.number, round(n.seconds, 4), n.channel + 1, n.key, n.velocity]
                    for n in notes]

        return {"now": round(self.scheduler.clock(), 4),
                "heard": wire(self.scheduler.heard.after(after[0])),
                "sent": wire(self.scheduler.sent.after(after[1]))}

    def panic(self) -> dict:
        released = self.scheduler.panic()
        self.control.publish("panic", {"released": released})
        return {"released": released}


def serve(options: ServeOptions) -> int:
    """Run until SIGINT/SIGTERM (0) or until the MIDI server goes away (1)."""
    more_descriptors()
    steady_allocator()
    code = Service(options).run()
    if stuck_inferences():  # everything is released and closed: leave without waiting
        # for them - the interpreter's exit would abort ("terminate called without an
        # active exception") inside the ONNX run that never returns
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def stuck_inferences() -> list[str]:
    """The inference threads still running once the daemon has stopped: ones the
    watchdog or the load check abandoned (a style that never returns)."""
    return [thread.name for thread in threading.enumerate()
            if thread.is_alive() and thread.name.startswith(("predictor", "probe "))]
