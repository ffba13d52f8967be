"""Live: output time - input time - latency through a real JACK server (its own dummy
server per period size) and the daemon as a subprocess, timed by JACK's delivery; and the
daemon's RSS after streaming and its time from start to ports ready.

Driven through humanizer.daemon.harness, the same server, clients and daemon runner the
JACK tests use.
"""

from __future__ import annotations

import os
import subprocess
import time

import numpy as np

from humanizer.commands.bench.music import piano_part, schedule
from humanizer.commands.bench.targets import percentiles, unavailable
from humanizer.daemon import harness
from humanizer.daemon.memory import memory_mb

PERIODS = (64, 256)
LATENCY = 0.5  # seconds: the daemon's default
SHORT_RUN = 4.0  # streaming time of the 256-frame run (jitter only)
MATCH_WINDOW = 0.05  # seconds: an output further than this from every input is no match
DRAIN_TIMEOUT = 5.0  # seconds after the last note for the rest to come back


def play(out: object, events: list[tuple[float, list[int]]]) -> None:
    """Send each message at its time (sleeping between them: the pace of the music)."""
    origin = time.monotonic()
    for at, message in events:
        wait = origin + at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        out.send_message(message)


def note_ons(received: list) -> dict[tuple[int, int], np.ndarray]:
    """Arrival times of note-ons by (status, pitch)."""
    found: dict[tuple[int, int], list[float]] = {}
    for t, m in received:
        if len(m) == 3 and m[0] & 0xF0 == 0x90 and m[2] > 0:
            found.setdefault((m[0], m[1]), []).append(t)
    return {key: np.array(times) for key, times in found.items()}


def jitter(echo: list, back: list, latency: float) -> dict:
    """output - input - latency per note-on. Each output note-on is matched with the input
    note-on of the same pitch nearest to it, so a message JACK dropped in an xrun cannot
    shift every match after it (the part never repeats a pitch within 100 ms)."""
    heard = note_ons(echo)
    errors = []
    for key, times in note_ons(back).items():
        if key in heard:
            for t in times:
                gaps = t - latency - heard[key]
                errors.append(gaps[np.argmin(np.abs(gaps))])
    errors = [e for e in errors if abs(e) < MATCH_WINDOW]
    if not errors:
        return unavailable("no note came back from the daemon", "p50_ms", "p99_ms", "max_ms")
    return {**percentiles(errors), "min_ms": round(float(min(errors)) * 1000, 3),
            "notes": len(errors)}


def stream_through_daemon(style: str, period: int, seconds: float) -> dict:
    """One daemon on a private server: ready time, the jitter of a piano part streamed for
    `seconds`, the daemon's RSS and counters at the end."""
    with harness.jack_server(period, f"humanizer-bench-{period}-{os.getpid()}") as server:
        daemon = harness.Daemon("--latency", f"{int(LATENCY * 1000)}ms", "--style", style,
                                env=server.env)
        probe = None
        try:
            probe = harness.Probe(f"bench-{os.getpid()}")
            probe.connect(env=server.env)
            streaming = time.perf_counter()
            events = schedule(piano_part(seconds, speed=2.0))
            play(probe.out, events)
            memory = memory_mb(daemon.process.pid) or unavailable(
                "no /proc/PID/status on this system", "rss_mb")
            streamed = time.perf_counter() - streaming
            # the latency, then the last notes' way back: until the daemon has nothing
            # queued and all it sent has arrived (less whatever JACK dropped in an xrun)
            harness.wait_until(lambda: daemon.ask({"cmd": "stats"})["queued"] == 0
                               and len(probe.back.received) >= len(probe.echo.received),
                               LATENCY + DRAIN_TIMEOUT, interval=0.05)
            stats = daemon.ask({"cmd": "stats"})
            result = {"period_frames": period, "messages_sent": len(events),
                      "messages_echoed": len(probe.echo.received),
                      "messages_returned": len(probe.back.received), "xruns": server.xruns(),
                      "period_ms": round(period / harness.RATE * 1000, 3),
                      **jitter(probe.echo.received, probe.back.received, LATENCY),
                      "late": stats["late"],
                      "daemon_inference_ms_p99": stats["inference_ms_p99"]}
            daemon_figures = {"ready_s": daemon.ready_s, **memory,
                              "streamed_s": round(streamed, 1), "notes_in": stats["notes_in"]}
        finally:
            if probe is not None:
                probe.close()
            code, _ = daemon.stop()
        daemon_figures["exit_status"] = code
        return {"jack": result, "daemon": daemon_figures}


def measure(style: str, seconds: float) -> tuple[dict, dict]:
    """Both period sizes; the daemon figures come from the 64-frame run (the longer)."""
    clock = time.perf_counter()
    jack, daemon = {}, None
    keys = ("p50_ms", "p99_ms", "max_ms")
    for period in PERIODS:
        run_for = seconds if period == PERIODS[0] else min(seconds, SHORT_RUN)
        try:
            measured = stream_through_daemon(style, period, run_for)
        except (harness.NoJack, harness.DaemonDidNotStart, OSError,
                subprocess.SubprocessError) as error:
            jack[f"period_{period}"] = unavailable(str(error), *keys)
            continue
        jack[f"period_{period}"] = measured["jack"]
        if daemon is None:
            daemon = measured["daemon"]
        else:
            daemon[f"ready_s_period_{period}"] = measured["daemon"]["ready_s"]
    if daemon is None:
        daemon = unavailable(jack[f"period_{PERIODS[0]}"]["why"], "rss_mb", "ready_s")
    jack["bench_s"] = round(time.perf_counter() - clock, 1)
    return jack, daemon
