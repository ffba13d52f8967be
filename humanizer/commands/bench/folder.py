"""Corpus scale: files/s and notes/s of `humanizer humanize FOLDER` for 1, 2, ... workers,
and on a Dask cluster (`--cluster local`: a scheduler and worker processes on this
machine's loopback, as many as the most workers asked; or a running one's address).

    python -m humanizer.commands.bench.folder [--files 400] [--workers 1,2] [--cluster local]

A generated corpus (the bundled examples and the generated bands and arrangements, copied
to `--files` files) is humanized by the command itself in a child process, once per worker
count, from start to its last output: what a user with a folder waits for. Prints one line
per worker count and the time 100,000 such files would take.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from humanizer.examples.arrangements import write_all
from humanizer.examples.band import write_bands
from humanizer.notes import read


def corpus(folder: Path, count: int) -> int:
    """`count` MIDI files in `folder`, copies of the generated examples; their notes."""
    seeds = folder / "seeds"
    originals = [*write_all(seeds / "arrangements"), *write_bands(seeds / "bands")]
    notes = 0
    for number in range(count):
        source = originals[number % len(originals)]
        shutil.copyfile(source, folder / f"{number:06d}-{source.name}")
        notes += len(read(source).notes)
    shutil.rmtree(seeds)
    return notes


def measure(count: int, workers: list[int], cluster: str | None = None) -> list[dict]:
    """One run of the command per worker count on the same corpus, then on the cluster."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="humanizer-folder-") as work, \
            contextlib.ExitStack() as stack:
        source = Path(work) / "in"
        source.mkdir()
        notes = corpus(source, count)
        runs = [(f"{number} worker(s)", ["--workers", str(number)]) for number in workers]
        if cluster == "local":
            from humanizer import cluster as dask_cluster

            cluster = stack.enter_context(dask_cluster.local(max(workers), Path(work)))
            runs.append((f"Dask on loopback, {max(workers)} worker(s)", ["--cluster", cluster]))
        elif cluster:
            runs.append((f"Dask at {cluster}", ["--cluster", cluster]))
        for number, (label, where) in enumerate(runs):
            target = Path(work) / f"out-{number}"
            began = time.monotonic()
            subprocess.run([sys.executable, "-m", "humanizer.cli", "humanize", str(source),
                            "-o", str(target), *where, "--quiet", "--timing", "1"],
                           check=True, stdout=subprocess.DEVNULL)
            seconds = time.monotonic() - began
            rows.append({"run": label, "files": count, "notes": notes,
                         "seconds": round(seconds, 1),
                         "files_per_second": round(count / seconds, 2),
                         "notes_per_second": round(notes / seconds),
                         "hours_for_100k_files": round(100_000 / (count / seconds) / 3600, 1)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m humanizer.commands.bench.folder")
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--cluster", help="also on a Dask cluster: local (started here on "
                                          "loopback) or a scheduler's address")
    args = parser.parse_args(argv)
    for row in measure(args.files, [int(n) for n in args.workers.split(",")], args.cluster):
        print(f"{row['run']}: {row['files']} files ({row['notes']} notes) in "
              f"{row['seconds']} s: {row['files_per_second']} files/s, "
              f"{row['notes_per_second']} notes/s; 100,000 such files in "
              f"{row['hours_for_100k_files']} h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
