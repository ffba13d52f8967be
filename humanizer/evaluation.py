"""How close a style comes to what people played (`humanizer eval`'s library).

For each performance the input is what a DAW user gives: every note at the file's mean
velocity (a flat part at the right level). The style humanizes it and the result is
compared, note onset by note onset, with the velocities actually played - beside the
baselines `flat` (the input itself), `constant64` and `train_mean` (the training data's
mean velocity, from the model's contract). DESIGN section 6.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import repeat
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

import numpy as np

from humanizer import drumkit, levels, musical
from humanizer import meter as meters
from humanizer.datasets import asap
from humanizer.datasets.aligned import usable
from humanizer.datasets.beats import (
    POP909_BEATS,
    annotations_of,
    meter_from_beats,
    read_annotations,
    read_beats,
)
from humanizer.datasets.catalog import performances
from humanizer.datasets.match import match_of
from humanizer.datasets.performance import load_match_pair, score_pair
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.meter import Meter
from humanizer.metrics import pearson, summarize
from humanizer.notes import Note, keyboard, read
from humanizer.offline import humanize_part
from humanizer.output import OutputSettings
from humanizer.progress import progress
from humanizer.variation import Takes

BASELINES = ("flat", "constant64", "train_mean")
# Workers start fresh, never forked: a fork of a process with running threads (onnxruntime's,
# a caller's) can inherit a lock held by another thread and hang forever - seen in tests.
SPAWN = get_context("spawn")


def files_of(paths: list[str], split: str | None) -> list[Path]:
    """The performance files to evaluate: files as given, data set folders by their index
    (only `split` of them, if given)."""
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


_worker: dict = {}


def _start_worker(model: str) -> None:
    _worker["engine"] = Engine(model, threads=1)


INPUT_KINDS = ("performance", "score", "match", "marked")
# a marked case must find the notation's velocity on this share of its played notes
MIN_MARKED = 0.9


class Case(NamedTuple):
    """The flat input a DAW user gives, the velocities played on the notes `measured`
    (indices: a score note nobody played is input, not measured), the onset offsets
    played where the input is a score, and the meter where it is known."""

    notes: list[Note]
    truth: np.ndarray
    offsets: np.ndarray | None
    meter: Meter | None
    measured: np.ndarray


def match_case(path: Path, marked: bool = False) -> Case | None:
    """The exact DAW case of an ASAP performance (its match file): every score note at
    the performance's mean tempo, flat at the level of what was played, with its meter.
    `marked`: with the notation's written dynamics drawn in instead (asap.written_dynamics),
    moved to that level (a user sets the track's level) - what a user who imports the
    score gives; None where the notation export holds less than MIN_MARKED of the played
    notes (repeats it does not write out)."""
    pair = load_match_pair(path)
    if pair is None or (marked and not asap.has_score(path)):
        return None
    measured = np.flatnonzero(~np.isnan(pair.velocities))
    level = int(round(float(pair.velocities[measured].mean())))
    given = np.full(len(pair.pitches), float(level))
    if marked:
        marks = asap.written_dynamics(path, pair.quarters, pair.pitches)
        found = ~np.isnan(marks)
        if found[measured].mean() < MIN_MARKED:
            return None
        given[found] = np.clip(np.rint(marks[found] - marks[found].mean() + level), 1, 127)
    notes = [Note(int(p), int(v), float(s), float(e)) for p, v, s, e in
             zip(pair.pitches, given, pair.starts, pair.ends)]
    return Case(notes, pair.velocities[measured], None, pair.meter, measured)


def case_of(path: Path, input_kind: str) -> Case | None:
    """The case of one performance (see Case), or None when there is nothing to evaluate
    (no notes; a score that matches poorly). `match`: the exact DAW case from ASAP's
    match files; `marked`: that case with the notation's dynamics; `score`: ASAP's
    beat-warped score or a grid; `performance`: as played."""
    offsets = None
    if input_kind == "match":
        return match_case(path)
    if input_kind == "marked":
        return match_case(path, marked=True)
    if input_kind == "score":
        pair = score_pair(path)
        if not usable(pair):
            return None
        notes, truth, offsets = pair.score, pair.velocities, pair.offsets
    else:
        notes = keyboard(read(path).notes)
        if not notes:
            return None
        truth = np.array([note.velocity for note in notes], dtype=np.float64)
    level = int(round(truth.mean()))
    return Case([replace(note, velocity=level) for note in notes], truth, offsets,
                meter_of(path, notes), np.arange(len(notes)))


def meter_of(path: Path, notes: list[Note]) -> Meter | None:
    """The meter of a file's notes where the data knows it: a quantized part's beat file
    (POP909), or the tempo and time signature a part was played to (the Groove MIDI
    Dataset's click); None for a performance in its own time (ASAP)."""
    if (path.parent / POP909_BEATS).is_file():
        beats, downbeats = read_beats(path.parent / POP909_BEATS)
        return meter_from_beats(np.array([note.start for note in notes]), beats, downbeats)
    if asap.has_score(path) or match_of(path).is_file():
        return None
    return meters.of_file(read(path).midi, notes)


def bars_of(path: Path, case: Case) -> Meter | None:
    """The meter to measure a case's accents by: the one its input has, else - for a
    performance in its own time (ASAP) - the beats annotated in it, so a rubato
    performance gets its accent profile too (the model was not given them)."""
    if case.meter is not None or not annotations_of(path).is_file():
        return case.meter
    beats, downbeats = read_annotations(annotations_of(path))
    return meter_from_beats(np.array([note.start for note in case.notes]), beats, downbeats)


class Result(NamedTuple):
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


def with_dynamics(case: Case, amount: float, phrase_only: bool = False) -> Case:
    """The case with the player's dynamics drawn in, pulled toward their local level by
    1 - amount (0: flat, 1: as played): a user's part that already has accents. With
    `phrase_only`, only their phrase-level part (levels.phrase): a drawn contour, where a
    passage is loud or soft, with the accents and voicing left to the style."""
    if amount <= 0:
        return case
    times = np.array([case.notes[i].start for i in case.measured])
    level = levels.local_mean(times, case.truth, times)
    drawn = case.truth - level
    if phrase_only:
        drawn = levels.phrase(times, drawn)
    given = np.clip(np.rint(level + amount * drawn), 1, 127).astype(int)
    notes = list(case.notes)
    for i, velocity in zip(case.measured, given.tolist()):
        notes[i] = replace(notes[i], velocity=velocity)
    return case._replace(notes=notes)


def _humanize_flat(path: Path, lookahead: float | None, strength: float,
                   input_kind: str = "performance", input_dynamics: float = 0.0,
                   variation: tuple[float, int] = (0.0, 0), timing: float = 1.0,
                   input_phrase: bool = False,
                   meter: bool = True) -> Result | HumanizerError | None:
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
    predicted, shifts = humanize_part(_worker["engine"], case.notes, settings, lookahead,
                                      meter=case.meter if meter else None,
                                      takes=Takes(seed))
    measured = [case.notes[i] for i in case.measured]
    bars = bars_of(path, case)
    return Result(case.truth, predicted[case.measured].astype(np.float64), case.offsets,
                  shifts[case.measured], np.array([note.pitch for note in measured]),
                  np.array([note.start for note in measured]), str(path),
                  None if bars is None else bars[case.measured],
                  np.array([note.velocity for note in measured], dtype=np.float64))


def timing_report(results: list[Result]) -> dict[str, float]:
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
             meter: bool = True) -> dict:
    """The metrics of the model and the baselines over the onsets of all files (with
    `timing` > 0, also of its onset offsets moved by that amount, as `humanize --timing`
    moves them); with `pictures`, a picture of each file there. `input_dynamics` and
    `input_phrase` draw the players' dynamics into the input (with_dynamics); the input as
    given is then a baseline, as it is for the notation's dynamics (`marked`). Without
    `meter` the style is not given the meter the data knows (the accent profile is still
    measured by it).

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
    workers = workers or min(len(files), os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=SPAWN, initializer=_start_worker,
                             initargs=(engine.path,)) as pool:
        jobs = pool.map(_humanize_flat, files, repeat(lookahead), repeat(strength),
                        repeat(input_kind), repeat(input_dynamics), repeat(variation),
                        repeat(timing or 1.0), repeat(input_phrase), repeat(meter))
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
    if pictures is not None:
        from humanizer import plot

        for result in results:
            plot.evaluated(result.name, result.true, result.predicted, result.times,
                           pictures / f"{Path(result.name).stem}.png")
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
        "skipped_files": len(files) - len(truth),
        "input": input_kind,
        "model": summarize(truth, outputs["model"]),
        "input_dynamics": input_dynamics, "input_phrase": input_phrase, "meter": meter,
        "variation": variation[0],
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


def at_limits(results: list[Result]) -> dict[str, float]:
    """How often the model's velocities are at 1 or at 127 (per cent), beside how often
    the players' are: a wall of 127s or inaudible 1s is a clipped output."""
    predicted = np.concatenate([result.predicted for result in results])
    true = np.concatenate([result.true for result in results])
    return {"model_low": round(float(np.mean(predicted <= 1)) * 100, 2),
            "model_high": round(float(np.mean(predicted >= 127)) * 100, 2),
            "played_low": round(float(np.mean(true <= 1)) * 100, 2),
            "played_high": round(float(np.mean(true >= 127)) * 100, 2)}


def drum_classes(results: list[Result]) -> dict[str, dict[str, float]]:
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
