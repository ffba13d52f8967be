"""The DAW case of a performance file: the flat part a user gives, beside what was played.

Evaluation (`humanizer eval`), calibration and the baselines all measure a style on these:
every note of a performance at its mean velocity (or, `marked`, with the notation's
dynamics; or with the player's dynamics drawn in at some depth), the velocities and onset
offsets the player played on the notes measured, and the meter where the data knows it.
DESIGN section 6.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from humanizer import levels
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
from humanizer.errors import HumanizerError
from humanizer.meter import Meter
from humanizer.notes import Note, keyboard, read


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
