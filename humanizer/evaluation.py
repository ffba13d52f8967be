"""How close a style comes to what people played (`humanizer eval`'s library): running
a style over the cases (humanizer.cases) in worker processes, and the report.

For each performance the input is what a DAW user gives: every note at the file's mean
velocity (a flat part at the right level). The style humanizes it and the result is
compared, note onset by note onset, with the velocities actually played - beside the
baselines `flat` (the input itself), `constant64` and `train_mean` (the training data's
mean velocity, from the model's contract), with the musical checks (humanizer.musical).
DESIGN section 6.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import numpy as np

from humanizer import drumkit, musical
from humanizer.cases import bars_of, case_of, with_dynamics
from humanizer.children import die_with_parent
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.meter import Meter
from humanizer.metrics import pearson, summarize
from humanizer.offline import humanize_part
from humanizer.output import OutputSettings
from humanizer.progress import progress
from humanizer.variation import Takes

BASELINES = ("flat", "constant64", "train_mean")
# Workers start fresh, never forked: a fork of a process with running threads (onnxruntime's,
# a caller's) can inherit a lock held by another thread and hang forever - seen in tests.
SPAWN = get_context("spawn")


_worker: dict = {}


def _start_worker(model: str) -> None:
    die_with_parent()  # an eval killed takes its workers with it
    _worker["engine"] = Engine(model, threads=1)


class Comparison(NamedTuple):
    """One performance: velocities played and the model's, onset offsets played (None
    without a score) and the model's shifts, and the pitches."""

    true: np.ndarray
    predicted: np.ndarray
    offsets: np.ndarray | None
    shifts: np.ndarray
    pitches: np.ndarray
    times: np.ndarray
    name: str
    meter: Meter | None = None
    inputs: np.ndarray | None = None  # the velocities the style was given


def _humanize_flat(path: Path, lookahead: float | None, strength: float,
                   input_kind: str = "performance", input_dynamics: float = 0.0,
                   variation: tuple[float, int] = (0.0, 0), timing: float = 1.0,
                   input_phrase: bool = False,
                   meter: bool = True) -> Comparison | HumanizerError | None:
    """(true velocities, model velocities, true offsets or None, model offsets) of one
    performance, None (see case_of), or the error that makes the file unusable (returned: a
    worker must not die of one file)."""
    try:
        case = case_of(path, input_kind)
    except HumanizerError as error:
        return error
    if case is None:
        return None
    case = with_dynamics(case, input_dynamics, input_phrase)
    # the notes as `humanize` plays them: the one output step, `timing` of the offsets
    amount, seed = variation
    settings = OutputSettings(strength=strength, timing=timing, variation=amount)
    predicted, shifts, _ = humanize_part(_worker["engine"], case.notes, settings, lookahead,
                                      meter=case.meter if meter else None,
                                      takes=Takes(seed))
    measured = [case.notes[i] for i in case.measured]
    bars = bars_of(path, case)
    return Comparison(case.truth, predicted[case.measured].astype(np.float64), case.offsets,
                  shifts[case.measured], np.array([note.pitch for note in measured]),
                  np.array([note.start for note in measured]), str(path),
                  None if bars is None else bars[case.measured],
                  np.array([note.velocity for note in measured], dtype=np.float64))


def timing_report(results: list[Comparison]) -> dict[str, float]:
    """Onset-offset MAE in milliseconds of the timing head and of no offset at all, and
    the median per-file Pearson r of predicted and played offsets."""
    truth = [result.offsets for result in results]
    predicted = [result.shifts for result in results]
    errors = np.concatenate([np.abs(p - t) for p, t in zip(predicted, truth)])
    zero = np.concatenate([np.abs(t) for t in truth])
    r = [pearson(p, t) for p, t in zip(predicted, truth)]
    return {"mae_ms": round(float(errors.mean()) * 1000, 3),
            "zero_mae_ms": round(float(zero.mean()) * 1000, 3),
            "pearson_median": round(float(np.median(r)), 3)}


def evaluate(engine: Engine, files: list[Path], lookahead: float | None,
             strength: float = 1.0, workers: int | None = None,
             input_kind: str = "performance", timing: float = 0.0,
             input_dynamics: float = 0.0, variation: tuple[float, int] = (0.0, 0),
             pictures: Path | None = None, input_phrase: bool = False,
             meter: bool = True, realism: bool = False) -> dict:
    """The metrics of the model and the baselines over the onsets of all files (with
    `timing` > 0, also of its onset offsets moved by that amount, as `humanize --timing`
    moves them); with `pictures`, a picture of each file there. `input_dynamics` and
    `input_phrase` draw the players' dynamics into the input (with_dynamics); the input as
    given is then a baseline, as it is for the notation's dynamics (`marked`). Without
    `meter` the style is not given the meter the data knows (the accent profile is still
    measured by it). With `realism`, how often a classifier tells the style's output from
    the players' (humanizer.realism).

    Files are spread over worker processes (one model session each): a fixed lookahead
    runs one window per onset, which is the slow part of an evaluation.
    """
    if timing and input_kind != "score":
        raise HumanizerError("--timing compares onset offsets with a score: add --input score")
    if timing and not engine.contract.timing:
        raise HumanizerError(f"style {engine.contract.name} predicts no timing (no timing head)")
    if input_phrase and not input_dynamics:
        raise HumanizerError("--input-phrase draws in part of the played dynamics: "
                             "add --input-dynamics AMOUNT")
    if input_dynamics and input_kind == "marked":
        raise HumanizerError("--input marked already draws in the notation's dynamics: "
                             "leave out --input-dynamics")
    results = humanized(engine, files, workers, lookahead, strength, input_kind,
                        input_dynamics, variation, timing or 1.0, input_phrase, meter)
    if pictures is not None:
        from humanizer import plot

        for result in results:
            plot.evaluated(result.name, result.true, result.predicted, result.times,
                           pictures / f"{Path(result.name).stem}.png")
    report = report_of(engine, results, len(files), input_kind, timing, input_dynamics,
                       variation[0], input_phrase, meter)
    if realism:
        from humanizer.realism import realism_report

        report["realism"] = realism_report(results)
    return report


def humanized(engine: Engine, files: list[Path], workers: int | None,
              *settings: object) -> list[Comparison]:
    """Each usable file's Comparison (_humanize_flat with `settings`), spread over worker
    processes; a file's error skips it with a message (the only file's is raised)."""
    workers = workers or min(len(files), os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=SPAWN, initializer=_start_worker,
                             initargs=(engine.path,)) as pool:
        jobs = pool.map(_humanize_flat, files, *(repeat(value) for value in settings))
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
    return results


def report_of(engine: Engine, results: list[Comparison], files: int, input_kind: str,
              timing: float, input_dynamics: float, variation: float, input_phrase: bool,
              meter: bool) -> dict:
    """The model's metrics beside the baselines', and the musical checks, over `results`
    (of `files` files asked for; see evaluate for the rest)."""
    truth = [result[0] for result in results]
    outputs = {
        "model": [result[1] for result in results],
        "flat": [np.full(len(t), np.rint(t.mean())) for t in truth],
        "constant64": [np.full(len(t), 64.0) for t in truth],
        "train_mean": [np.full(len(t), engine.contract.train_mean) for t in truth],
    }
    if input_dynamics > 0 or input_kind == "marked":  # the part as given: the one to beat
        outputs["input"] = [result.inputs for result in results]
    report = {
        "notes": int(sum(len(t) for t in truth)),
        "files": len(truth),
        "skipped_files": files - len(truth),
        "input": input_kind,
        "model": summarize(truth, outputs["model"]),
        "input_dynamics": input_dynamics, "input_phrase": input_phrase, "meter": meter,
        "variation": variation,
        "baselines": {name: summarize(truth, outputs[name])
                      for name in (*BASELINES, "input") if name in outputs},
    }
    report["at_limits"] = at_limits(results)
    report["top_notes"] = musical.top_notes(results)
    report["accent_profile"] = musical.accent_profile(results)
    if input_kind in ("match", "marked"):
        report["consensus"] = musical.consensus([Path(result.name) for result in results])
    if engine.contract.instrument == "drums":
        report["drum_classes"] = drum_classes(results)
    if timing:
        report["timing"] = timing_report(results)
    return report


def at_limits(results: list[Comparison]) -> dict[str, float]:
    """How often the model's velocities are at 1 or at 127 (per cent), beside how often
    the players' are: a wall of 127s or inaudible 1s is a clipped output."""
    predicted = np.concatenate([result.predicted for result in results])
    true = np.concatenate([result.true for result in results])
    return {"model_low": round(float(np.mean(predicted <= 1)) * 100, 2),
            "model_high": round(float(np.mean(predicted >= 127)) * 100, 2),
            "played_low": round(float(np.mean(true <= 1)) * 100, 2),
            "played_high": round(float(np.mean(true >= 127)) * 100, 2)}


def drum_classes(results: list[Comparison]) -> dict[str, dict[str, float]]:
    """Per kit class (humanizer.drumkit): the notes, and the mean velocity of the model and
    of the drummers relative to the part's level (the flat input) - a crash the players
    hit 20 above the beat must not come out 30 below it."""
    rows: dict[str, list[tuple[float, float]]] = {}
    for result in results:
        level = np.rint(result.true.mean())
        for pitch, true, predicted in zip(result.pitches, result.true, result.predicted):
            rows.setdefault(drumkit.class_of(int(pitch)), []).append(
                (true - level, predicted - level))
    return {name: {"notes": len(pairs),
                   "played": round(float(np.mean([t for t, _ in pairs])), 2),
                   "model": round(float(np.mean([p for _, p in pairs])), 2)}
            for name, pairs in sorted(rows.items())}


def lookahead_label(seconds: float | None) -> str:
    """How a report names a lookahead: `full` (the whole file) or milliseconds."""
    return "full" if seconds is None else f"{seconds * 1000:g}ms"
