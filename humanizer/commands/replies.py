"""What `humanizer ctl` prints: the daemon's replies as a musician reads them.

The control channel speaks JSON (DESIGN section 5), and scripts get it with `ctl --json`.
A person at a DAW asking "what is it doing?" gets a few labelled lines instead: ports,
styles per channel, settings in their units, the transport, the counters that say
whether anything went wrong. Pure functions of the reply: testable without a daemon.
"""

from __future__ import annotations

from collections.abc import Callable


def _number(value: object) -> str:
    """0.5 -> '0.5', 1.0 -> '1', None -> '-'."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _switch(value: object) -> str:
    return "on" if value else "off"


def styles_line(styles: dict) -> str:
    """'pop on every channel', or 'drums on 10 (drums); bass on 2 (bass); pop on the
    others': each channel's style, and its role in the band where one is set."""
    channels = styles.get("channels") or {}
    roles = styles.get("roles") or {}
    if not channels:
        return f"{styles.get('default')} on every channel"
    by_style: dict[str, list[str]] = {}
    for channel, style in channels.items():
        role = f" ({roles[channel]})" if channel in roles else ""
        by_style.setdefault(style, []).append(f"{channel}{role}")
    own = [f"{style} on {', '.join(numbers)}" for style, numbers in by_style.items()]
    return "; ".join(own) + f"; {styles.get('default')} on the others"


def settings_line(settings: dict) -> str:
    """The settings in the units `ctl set` takes them in."""
    skipped = settings.get("skip_channels") or []
    own = settings.get("channel_strength") or {}
    parts = [
        f"strength {_number(settings.get('strength'))}" + (" (" + ", ".join(
            f"channel {channel}: {_number(strength)}" for channel, strength in own.items())
            + ")" if own else ""),
        f"variation {_number(settings.get('variation'))} (seed {settings.get('seed')})",
        f"timing {_number(settings.get('timing'))}",
        f"articulation {_number(settings.get('articulation'))}",
        f"feel {_number(settings.get('feel_ms'))}ms",
        f"latency {_number(settings.get('latency_ms'))}ms",
        f"velocities {settings.get('velocity_min')}-{settings.get('velocity_max')}",
        f"meter {settings.get('meter')}",
        f"bpm {_number(settings.get('bpm')) if settings.get('bpm') else 'off'}",
        f"clock_thru {_switch(settings.get('clock_thru'))}",
        f"bypass {_switch(settings.get('bypass'))}",
        f"skip_channels {','.join(map(str, skipped)) if skipped else 'none'}",
    ]
    return ", ".join(parts)


def transport_line(transport: dict) -> str:
    """Where the song is: 'clock (locked), 120 bpm, 4/4, at 3.2.00' or 'none (meter 4/4)'."""
    source = transport.get("source")
    meter = transport.get("meter")
    if source == "none":
        return f"no clock heard (meter {meter})"
    meter = transport.get("signature") or meter  # the one in force where the song is
    line = f"{source}{' (locked)' if transport.get('locked') else ''}"
    if transport.get("bpm") is not None:
        line += f", {_number(transport['bpm'])} bpm"
    line += f", {meter}"
    if transport.get("position"):
        line += f", at {transport['position']}"
    recent = [note.get("position") for note in transport.get("recent", [])[-4:]]
    if recent:
        line += f", last notes at {' '.join(str(place) for place in recent)}"
    if transport.get("missed_clocks"):
        line += f", {transport['missed_clocks']} clocks missed"
    return line


def counters_line(stats: dict) -> str:
    """Notes in and out, and everything that says something went wrong."""
    line = (f"{stats.get('notes_in', 0)} in, {stats.get('notes_out', 0)} out, "
            f"{stats.get('late', 0)} late, {stats.get('sounding', 0)} sounding, "
            f"{stats.get('queued', 0)} waiting")
    for name in ("rejected", "released", "stopped"):
        if stats.get(name):
            line += f", {stats[name]} {name}"
    if stats.get("inference_ms_p50") is not None:
        line += (f"; inference p50 {_number(stats['inference_ms_p50'])} ms, "
                 f"p99 {_number(stats.get('inference_ms_p99'))} ms")
    return line


def sources_line(sources: dict) -> str:
    """Where the settings that are not defaults came from: 'latency from a flag; strength
    from ctl'."""
    said = {"flag": "a flag", "config": "the config file", "ctl": "ctl"}
    by_source: dict[str, list[str]] = {}
    for key, source in sources.items():
        if source != "default":
            by_source.setdefault(source, []).append(key)
    return "; ".join(f"{', '.join(keys)} from {said.get(source, source)}"
                     for source, keys in by_source.items()) or "all defaults"


def threads_line(threads: dict) -> str:
    """'sender, predictor, reader alive' - or which one is not, and its restarts."""
    down = [name for name, state in threads.items() if not state.get("alive")]
    restarts = sum(int(state.get("restarts", 0)) for state in threads.values())
    line = f"{', '.join(threads)} alive" if not down else f"NOT ALIVE: {', '.join(down)}"
    return line + (f" ({restarts} restarts)" if restarts else "")


def status_text(reply: dict) -> str:
    uptime = float(reply.get("uptime_s", 0.0))
    lines = [f"{reply.get('input')} -> {reply.get('output')} ({reply.get('api')}, "
             f"pid {reply.get('pid')}, up {_duration(uptime)})",
             f"styles:    {styles_line(reply.get('styles', {}))}",
             f"settings:  {settings_line(reply.get('settings', {}))}",
             f"set by:    {sources_line(reply.get('sources', {}))}",
             f"transport: {transport_line(reply.get('transport', {}))}",
             f"notes:     {counters_line(reply.get('stats', {}))}",
             f"threads:   {threads_line(reply.get('stats', {}).get('threads', {}))}",
             f"control:   {reply.get('control')} (events {reply.get('events')})"]
    if reply.get("panel"):
        lines.append(f"panel:     {reply['panel']}")
    if reply.get("config"):
        lines.append(f"config:    {reply['config']}")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    """'12 s', '5 min 3 s', '2 h 14 min'."""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.0f} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def models_text(reply: dict) -> str:
    """One line per installed style: its name, whether it plays, what it is."""
    lines = []
    for model in reply.get("models", []):
        state = "playing" if model.get("loaded") else "installed"
        about = model.get("description") or model.get("path", "")
        lines.append(f"{model.get('name'):<10} {state:<9}  {about}")
    lines.append(f"styles: {styles_line(reply.get('styles', {}))}")
    return "\n".join(lines)


def use_text(reply: dict) -> str:
    channel = reply.get("channel")
    where = f"channel {channel}" if channel else "every channel without its own style"
    return f"playing {reply.get('style')} on {where}"


def stats_text(reply: dict) -> str:
    return (f"notes:   {counters_line(reply)}\n"
            f"threads: {threads_line(reply.get('threads', {}))}")


TEXTS: dict[str, Callable[[dict], str]] = {
    "status": status_text, "models": models_text, "use": use_text, "stats": stats_text,
    "set": lambda reply: (f"styles: {styles_line(reply['styles'])}" if "styles" in reply
                          else f"settings: {settings_line(reply.get('settings', {}))}"),
    "bypass": lambda reply: f"bypass {_switch(reply.get('bypass'))}",
    "panic": lambda reply: f"released {reply.get('released', 0)} sounding notes",
}


def text_of(action: str, reply: dict) -> str:
    """The reply to `action` (without its "ok") as lines for a person."""
    return TEXTS[action](reply) if action in TEXTS else "ok"
