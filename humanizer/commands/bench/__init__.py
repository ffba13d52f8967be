"""`humanizer bench`: speed and memory on this machine, measured in one run (DESIGN 7).

Four groups of figures, each against a target (targets.py):
- inference (inference.py): one live window on one onnxruntime thread, beside the same
  architecture through Keras `model.predict` and a `tf.function` in a child process
  (keras_worker.py), so this process never loads TensorFlow;
- offline (offline.py): seconds of music humanized per second on a long piano
  performance, and the wall time of `humanizer humanize` to its output file;
- jack and daemon (live.py): output time - input time - latency through a real JACK
  server and the daemon as a subprocess; the daemon's RSS and its time to ready.

A figure that cannot be measured here is null, with a "why" beside it. Only this module
knows about argparse; the measuring modules take plain values.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from humanizer import models

SECONDS_DEFAULT = 12.0  # streaming time of the 64-frame run; `--seconds 60` for the full RSS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--style", default=models.DEFAULT_STYLE, help="style to measure")
    parser.add_argument("--seconds", type=float, default=SECONDS_DEFAULT,
                        help=f"seconds of streaming into the daemon before its RSS is read "
                             f"(default {SECONDS_DEFAULT:g}; 60 for the full figure, 3 for a "
                             f"quick run)")
    parser.add_argument("--data", default=str(Path("..") / "shared" / "data"),
                        help="data folder with asap/ for a long piano performance "
                             "(default ../shared/data; a generated part otherwise)")


def measure_all(style: str, seconds: float, data: Path) -> dict:
    """Every section in turn (never in parallel: they would time each other), with the
    machine's load before and after, and the verdicts."""
    from humanizer.commands.bench import inference, live, offline
    from humanizer.commands.bench.targets import load, machine, verdicts

    results: dict = {"machine": machine()}
    results["inference"] = inference.measure(style)
    with tempfile.TemporaryDirectory(prefix="humanizer-bench-") as work:
        results["offline"] = offline.measure(style, data, Path(work))
    results["jack"], results["daemon"] = live.measure(style, seconds)
    results["machine"]["load_after"] = load()
    results["targets"] = verdicts(results)
    return results


def ended_by_signal() -> None:
    """SIGTERM and SIGHUP end the bench as Ctrl-C does, through every `finally`: the JACK
    servers and daemons it started stop with it (`timeout 45 humanizer bench` left its
    private jackd running, orphaned; issue 36, item 11)."""
    import signal
    import sys

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda number, frame: sys.exit(128 + number))


def run(args: argparse.Namespace) -> int:
    from humanizer.commands.bench.targets import report

    if args.seconds <= 0:
        from humanizer.errors import HumanizerError

        raise HumanizerError("--seconds must be positive")
    ended_by_signal()
    results = measure_all(args.style, args.seconds, Path(args.data))
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0
