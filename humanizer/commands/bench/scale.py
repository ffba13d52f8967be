"""Cost at scale: time and peak memory of `humanizer humanize` on one file of N notes,
with the whole file as context and at `--latency 500ms` (issue 36, item 12: both must grow
linearly; the ceiling asked is 1M notes in under 60 s and 1.5 GB).

    python -m humanizer.commands.bench.scale [--notes 1000000] [--timing]

The file is the bundled band (lead, pad, bass, kit) repeated end to end until it holds N
notes, one track per part as a DAW writes it. Each run is the command itself in a child
process; its peak resident memory is the kernel's count for that child (wait4).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mido

from humanizer.examples.make import FOLDER


def repeated_band(notes: int, path: Path) -> int:
    """The bundled band repeated until it holds at least `notes` notes; the count."""
    band = mido.MidiFile(FOLDER / "band.mid")
    per_copy = sum(1 for track in band.tracks for m in track
                   if m.type == "note_on" and m.velocity > 0)
    copies = -(-notes // per_copy)
    out = mido.MidiFile(type=1, ticks_per_beat=band.ticks_per_beat)
    for track in band.tracks:
        events = [m for m in track if m.type != "end_of_track"]
        length = sum(m.time for m in track)
        tail = length - sum(m.time for m in events)
        repeated = mido.MidiTrack()
        for copy in range(copies):
            for number, message in enumerate(events):
                gap = tail if copy and number == 0 else 0
                repeated.append(message.copy(time=message.time + gap))
        out.tracks.append(repeated)
    out.save(path)
    return copies * per_copy


def run(arguments: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of one `humanizer humanize` run in a child process."""
    began = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "humanizer.cli", "humanize", *arguments,
                              "--quiet", "--force"], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"humanize failed with exit {child.returncode}")
    return time.monotonic() - began, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m humanizer.commands.bench.scale")
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--timing", action="store_true", help="with --timing 1 too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="humanizer-scale-") as work:
        source, target = Path(work) / "big.mid", Path(work) / "out.mid"
        count = repeated_band(args.notes, source)
        print(f"{count} notes, {source.stat().st_size / 1e6:.1f} MB")
        extra = ["--timing", "1"] if args.timing else []
        for label, latency in (("whole file", []), ("--latency 500ms", ["--latency", "500ms"])):
            seconds, peak = run([str(source), "-o", str(target), *latency, *extra])
            print(f"{label}: {seconds:.1f} s, peak {peak:.0f} MB "
                  f"({count / seconds:,.0f} notes/s, {peak * 1e6 / count / 1024:.2f} KB/note)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
