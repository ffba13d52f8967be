"""`humanizer eval PATH...`: how close a style comes to what people played.

For each performance the input is what a DAW user gives: every note at the file's mean
velocity (a flat part at the right level). The style humanizes it and the result is
compared, note onset by note onset, with the velocities actually played - beside the
baselines `flat` (the input itself), `constant64` and `train_mean` (the training data's
mean velocity, from the model's contract). DESIGN section 6.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import repeat
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from humanizer import encoding, models
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.notes import Note, read
from humanizer.progress import progress
from humanizer.timeparse import parse_duration

BASELINES = ("flat", "constant64", "train_mean")
# Workers start fresh, never forked: a fork of a process with running threads (onnxruntime's,
# a caller's) can inherit a lock held by another thread and hang forever - seen in tests.
SPAWN = get_context("spawn")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="performance MIDI files or folders (a data set folder such as "
                             "ASAP or the Groove MIDI Dataset is read by its index)")
    parser.add_argument("--style", default=models.DEFAULT_STYLE)
    parser.add_argument("--split", choices=("train", "validation", "test"),
                        help="only this split of each data set folder")
    parser.add_argument("--lookahead", default="500ms",
                        help="what the model may hear after each note: a time such as 500ms, "
                             "or 'full' for the whole file (default 500ms)")
    parser.add_argument("--input", choices=("performance", "score"), default="performance",
                        help="what the model is given: the performance with its velocities "
                             "flattened (default), or the DAW case: ASAP's quantized score "
                             "rendered at the performance's tempo, or for other files the "
                             "performance snapped to the grid of its tempo")
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--timing", action="store_true",
                        help="also report the onset-offset MAE (ms) of the style's timing head "
                             "against no offset (needs --input score)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def files_of(paths: list[str], split: str | None) -> list[Path]:
    from humanizer.training.data import performances  # plain file listing, no TensorFlow

    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += performances(path, split)
        elif path.is_file():
            found.append(path)
        else:
            raise HumanizerError(f"{path}: no such file or folder")
    if not found:
        raise HumanizerError("no performance files to evaluate")
    return found


def flattened(notes: list[Note]) -> list[Note]:
    """The DAW user's input: every note at the performance's mean velocity."""
    level = int(round(np.mean([note.velocity for note in notes])))
    return [replace(note, velocity=level) for note in notes]


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; 0 where either side is constant (a constant predicts no shape)."""
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def summarize(truth: list[np.ndarray], predicted: list[np.ndarray]) -> dict[str, float]:
    """Pooled MAE, median per-file Pearson r and median per-file spread ratio."""
    errors = np.concatenate([np.abs(p - t) for p, t in zip(predicted, truth)])
    r = [pearson(p, t) for p, t in zip(predicted, truth)]
    spread = [p.std() / t.std() for p, t in zip(predicted, truth) if t.std() > 0]
    return {"mae": round(float(errors.mean()), 3),
            "pearson_median": round(float(np.median(r)), 3),
            "spread_ratio": round(float(np.median(spread)) if spread else 0.0, 3)}


_worker: dict = {}


def _start_worker(model: str) -> None:
    _worker["engine"] = Engine(model, threads=1)


Case = tuple[list[Note], np.ndarray, np.ndarray | None]


def case_of(path: Path, input_kind: str) -> Case | None:
    """(the flat input a DAW user gives, the velocities played, the onset offsets played
    where the input is a score) for one performance, or None when there is nothing to
    evaluate (no notes; a score that matches poorly)."""
    offsets = None
    if input_kind == "score":
        from humanizer.training.aligned import score_pair, usable

        pair = score_pair(path)
        if not usable(pair):
            return None
        notes, truth, offsets = pair.score, pair.velocities, pair.offsets
    else:
        notes = encoding.keyboard(read(path).notes)
        if not notes:
            return None
        truth = np.array([note.velocity for note in notes], dtype=np.float64)
    level = int(round(truth.mean()))
    return [replace(note, velocity=level) for note in notes], truth, offsets


Result = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]


def _humanize_flat(path: Path, lookahead: float | None, strength: float,
                   input_kind: str = "performance") -> Result | HumanizerError | None:
    """(true velocities, model velocities, true offsets or None, model offsets) of one
    performance, None (see case_of), or the error that makes the file unusable (returned: a
    worker must not die of one file)."""
    try:
        case = case_of(path, input_kind)
    except HumanizerError as error:
        return error
    if case is None:
        return None
    flat, true, offsets = case
    predicted, shifts = _worker["engine"].humanize_timing(flat, strength, lookahead, 1.0)
    return true, np.array(predicted, dtype=np.float64), offsets, np.array(shifts)


def timing_report(results: list[Result]) -> dict[str, float]:
    """Onset-offset MAE in milliseconds of the timing head and of no offset at all, and
    the median per-file Pearson r of predicted and played offsets."""
    truth = [true for _, _, true, _ in results]
    predicted = [shifts for _, _, _, shifts in results]
    errors = np.concatenate([np.abs(p - t) for p, t in zip(predicted, truth)])
    zero = np.concatenate([np.abs(t) for t in truth])
    r = [pearson(p, t) for p, t in zip(predicted, truth)]
    return {"mae_ms": round(float(errors.mean()) * 1000, 3),
            "zero_mae_ms": round(float(zero.mean()) * 1000, 3),
            "pearson_median": round(float(np.median(r)), 3)}


def evaluate(engine: Engine, files: list[Path], lookahead: float | None,
             strength: float = 1.0, workers: int | None = None,
             input_kind: str = "performance", timing: bool = False) -> dict:
    """The metrics of the model and the baselines over the onsets of all files (with
    `timing`, also of its onset offsets).

    Files are spread over worker processes (one model session each): a fixed lookahead
    runs one window per onset, which is the slow part of an evaluation.
    """
    if timing and input_kind != "score":
        raise HumanizerError("--timing compares onset offsets with a score: add --input score")
    if timing and not engine.contract.timing:
        raise HumanizerError(f"style {engine.contract.name} predicts no timing (no timing head)")
    workers = workers or min(len(files), os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=SPAWN, initializer=_start_worker,
                             initargs=(engine.path,)) as pool:
        jobs = pool.map(_humanize_flat, files, repeat(lookahead), repeat(strength),
                        repeat(input_kind))
        results = []
        for result in progress(jobs, len(files), "evaluating"):
            if isinstance(result, HumanizerError):
                if len(files) == 1:
                    raise result
                print(f"humanizer: skipped {result}", file=sys.stderr)
            elif result is not None:
                results.append(result)
    if not results:
        raise HumanizerError("none of the files has notes to evaluate")
    truth = [result[0] for result in results]
    outputs = {
        "model": [result[1] for result in results],
        "flat": [np.full(len(t), np.rint(t.mean())) for t in truth],
        "constant64": [np.full(len(t), 64.0) for t in truth],
        "train_mean": [np.full(len(t), engine.contract.train_mean) for t in truth],
    }
    report = {
        "notes": int(sum(len(t) for t in truth)),
        "files": len(truth),
        "skipped_files": len(files) - len(truth),
        "input": input_kind,
        "model": summarize(truth, outputs["model"]),
        "baselines": {name: summarize(truth, outputs[name]) for name in BASELINES},
    }
    if timing:
        report["timing"] = timing_report(results)
    return report


def lookahead_of(text: str) -> float | None:
    return None if text.strip().lower() == "full" else parse_duration(text)


def run(args: argparse.Namespace) -> int:
    from humanizer.offline import fraction

    lookahead = lookahead_of(args.lookahead)
    engine = models.load(args.style, threads=2)
    report = evaluate(engine, files_of(args.paths, args.split), lookahead,
                      fraction("strength", args.strength), input_kind=args.input,
                      timing=args.timing)
    report.update(style=args.style, lookahead=args.lookahead)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['notes']} note onsets in {report['files']} files ({args.input} input), "
          f"style {args.style}, lookahead {args.lookahead}")
    print(f"{'':12} {'MAE':>7} {'r (median)':>11} {'spread':>7}")
    rows = {"model": report["model"], **report["baselines"]}
    for name, metrics in rows.items():
        print(f"{name:12} {metrics['mae']:7.2f} {metrics['pearson_median']:11.3f} "
              f"{metrics['spread_ratio']:7.3f}")
    if "timing" in report:
        timing = report["timing"]
        print(f"timing: onset-offset MAE {timing['mae_ms']:.1f} ms (no offset "
              f"{timing['zero_mae_ms']:.1f} ms), r (median) {timing['pearson_median']:.3f}")
    return 0
