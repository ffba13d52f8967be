"""Offline: seconds of music humanized per second on a long piano performance, with the
whole file as context and at 500 ms lookahead, and the wall time of `humanizer humanize`
from start to its output file (what a user waits for)."""

from __future__ import annotations

import glob
import subprocess
import sys
import time
from pathlib import Path

from humanizer import models
from humanizer.commands.bench.inference import LIVE_LOOKAHEAD
from humanizer.commands.bench.music import piano_part
from humanizer.commands.bench.targets import unavailable

LOOKAHEAD_SECONDS = 120.0  # music measured at 500 ms lookahead (20x slower than whole-file)
GENERATED_SECONDS = 1200.0  # the stand-in part's length without ASAP


def long_performance(data: Path) -> Path | None:
    """The largest performance MIDI file of ASAP (scores excluded): the longest piece."""
    folder = data / "asap"
    if not folder.is_dir():
        return None
    files = [Path(p) for p in glob.glob(str(folder / "**" / "*.mid"), recursive=True)
             if not p.endswith("midi_score.mid")]
    return max(files, key=lambda p: p.stat().st_size, default=None)


def measure_offline(style: str, data: Path, work: Path) -> dict:
    """Throughput of the offline path (as `humanizer humanize` runs it) and the wall time
    of the command from start to its output file."""
    from humanizer.notes import midi_from_notes, read, write_atomic
    from humanizer.offline import Humanizer
    from humanizer.output import OutputSettings

    source = long_performance(data)
    result = {}
    if source is None:
        source = work / "generated-long-piano.mid"
        write_atomic(midi_from_notes(piano_part(GENERATED_SECONDS)), source)
        result["source_note"] = f"no ASAP under {data}: a generated 20-minute piano part"
    note_file = read(source)
    music = max(note.end for note in note_file.notes)
    result.update(file=str(source), notes=len(note_file.notes),
                  music_seconds=round(music, 1), threads=2)
    warmup = read(models.PACKAGED.parent / "examples" / "piano-part.mid").notes
    for key, latency in (("", None), ("lookahead_500ms_", LIVE_LOOKAHEAD)):
        humanizer = Humanizer(style, OutputSettings(), latency)
        humanizer.changes(warmup)
        notes = note_file.notes
        if latency is not None:  # one window per onset: the first minutes tell the rate
            notes = [n for n in notes if n.start < LOOKAHEAD_SECONDS]
            result["lookahead_music_seconds"] = round(max(n.end for n in notes), 1)
        started = time.perf_counter()
        humanizer.changes(notes)
        elapsed = time.perf_counter() - started
        length = max(n.end for n in notes)
        result[f"{key}music_seconds_per_second"] = round(length / elapsed, 1)
    result.update(first_output(style, work))
    return result


def first_output(style: str, work: Path) -> dict:
    """`humanizer humanize` on the example piano part: start to output file, wall time."""
    from humanizer.examples.make import FOLDER

    target = work / "first-output.mid"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "humanizer.cli", "humanize",
                                str(FOLDER / "piano-part.mid"), "-o", str(target), "--style",
                                style], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not target.exists() and process.poll() is None:
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    process.wait()
    if not target.exists():
        return unavailable(f"humanize failed: {process.stderr.read().decode()[:200]}",
                           "first_output_s")
    return {"first_output_s": round(elapsed, 3), "first_output_file": "piano-part.mid"}


def measure(style: str, data: Path, work: Path) -> dict:
    """The offline section, with the time it took."""
    clock = time.perf_counter()
    result = measure_offline(style, data, work)
    result["bench_s"] = round(time.perf_counter() - clock, 1)
    return result
