"""One performance ready for training or evaluation: as played, or as the DAW case.

As played, the input is the performance itself (its velocities flattened by the caller).
The DAW case is what a DAW user gives - a quantized part - beside what a human played:
ASAP's aligned score where the files beside a performance give one, else the performance
snapped to the grid of its tempo (humanizer.datasets.grid).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from humanizer import meter as meters
from humanizer.datasets import asap, feel, wjd
from humanizer.datasets.aligned import AlignedPair, align_performance, usable
from humanizer.datasets.beats import POP909_BEATS, meter_from_beats, read_beats
from humanizer.datasets.grid import groove_pair
from humanizer.datasets.match import match_of, read_match
from humanizer.levels import LEVEL_SECONDS, deviations_of
from humanizer.meter import Meter
from humanizer.notes import LOWEST_KEY, Note, keyboard, read


@dataclass
class Performance:
    """A performance's keyboard notes as arrays, with what the player shaped: each
    velocity's deviation from its local level (velocity steps; NaN where nothing is known)."""

    name: str
    starts: np.ndarray
    ends: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray
    deviations: np.ndarray
    offsets: np.ndarray | None = None  # onset offsets (seconds) where the input is a score
    meter: Meter | None = None  # where each note falls in the bar, where the data knows it
    # each note's score position in quarter notes (ASAP's match files): which notes of two
    # performances of one piece are the same score note
    quarters: np.ndarray | None = None
    # each note's played length over its written one, log2 (humanizer.datasets.feel), where
    # the data knows both
    lengths: np.ndarray | None = None
    # when each note was played and let go (seconds from the first played; NaN: unplayed),
    # where the data has both the written part and the playing (ASAP's match files)
    played_starts: np.ndarray | None = None
    played_ends: np.ndarray | None = None

    @property
    def duration(self) -> float:
        return float(self.ends.max()) if len(self.ends) else 0.0

    def notes(self, stretch: float = 1.0, transpose: int = 0) -> list[Note]:
        """The notes, stretched in time and transposed (training's augmentation)."""
        return [Note(int(p) + transpose, int(v), float(s) * stretch, float(e) * stretch)
                for p, v, s, e in zip(self.pitches, self.velocities, self.starts, self.ends)]


def _shaped(notes: list[Note], level_seconds: float) -> np.ndarray:
    """Each note's velocity less its local level: what the player shaped."""
    return deviations_of(np.array([note.start for note in notes]),
                         np.array([note.velocity for note in notes], dtype=np.float64),
                         level_seconds)


def score_pair(path: Path) -> AlignedPair:
    """The DAW-case pair of a performance: ASAP's aligned score where the files beside it
    give one, else the performance snapped to the grid of its tempo (the Groove MIDI
    Dataset, or any part played to a click)."""
    if asap.has_score(path):
        return align_performance(path)
    return groove_pair(path)


def load_performance(path: Path,
                     level_seconds: float = LEVEL_SECONDS) -> Performance | None:
    """A performance ready for training, or None if it has no notes on the keyboard."""
    notes = keyboard(read(path).notes)
    if not notes:
        return None
    return Performance(
        name=str(path),
        starts=np.array([n.start for n in notes]),
        ends=np.array([n.end for n in notes]),
        pitches=np.array([n.pitch for n in notes]),
        velocities=np.array([n.velocity for n in notes], dtype=np.float64),
        deviations=_shaped(notes, level_seconds),
    )


def load_pair(path: Path, level_seconds: float = LEVEL_SECONDS) -> Performance | None:
    """The DAW case for training: the quantized input (aligned score or grid) with the
    performed velocities and onset offsets as targets; None if it matches poorly."""
    pair = score_pair(path)
    if not usable(pair):
        print(f"skipped {path}: its score matches only {pair.match_rate:.0%} of the notes",
              file=sys.stderr)
        return None
    played = [replace(n, velocity=int(v)) for n, v in zip(pair.score, pair.velocities)]
    return Performance(
        name=str(path),
        starts=np.array([n.start for n in played]),
        ends=np.array([n.end for n in played]),
        pitches=np.array([n.pitch for n in played]),
        velocities=pair.velocities.copy(),
        deviations=_shaped(played, level_seconds),
        offsets=pair.offsets.copy(),
    )


def load_match_pair(path: Path,
                    level_seconds: float = LEVEL_SECONDS) -> Performance | None:
    """The exact DAW case of an ASAP performance, from its match file: every score note
    at the performance's mean tempo with its meter, the played velocity as target (NaN
    targets for score notes nobody played: they are input, not measured). None when the
    performance has no match file. The pianist's feel rides along: each note's onset
    against its local beat and its length against the written one (datasets.feel)."""
    match_path = match_of(path)
    if not match_path.is_file():
        return None
    score = read_match(match_path)
    keys = (score.pitches >= LOWEST_KEY) & (score.pitches <= 108)
    played = score.played & keys
    if played.sum() < 2:
        return None
    times = score.starts[keys]
    deviations = np.full(len(times), np.nan)
    mine = played[keys]
    velocities = score.velocities[keys]
    deviations[mine] = deviations_of(times[mine], velocities[mine], level_seconds)
    quarters, performed = score.quarters[keys], score.performed_starts[keys]
    expected, slope = feel.local_beat(quarters, performed)
    written = (score.ends[keys] - times) / score.seconds_per_quarter * slope
    return Performance(
        name=str(path), starts=times, ends=score.ends[keys], pitches=score.pitches[keys],
        velocities=velocities, deviations=deviations, meter=score.meter[keys],
        quarters=quarters,
        offsets=feel.offsets_against(performed, expected, slope, score.seconds_per_quarter),
        lengths=feel.length_ratios(score.performed_ends[keys] - performed, written),
        played_starts=performed - np.nanmin(performed),
        played_ends=score.performed_ends[keys] - np.nanmin(performed),
    )


def load_grid_pair(path: Path,
                   level_seconds: float = LEVEL_SECONDS) -> Performance | None:
    """The DAW case of a part played to a click (the Groove MIDI Dataset): every note on
    the grid with its meter (from the file's tempo and time signature), the played
    velocity and onset offset as targets."""
    pair = groove_pair(path)
    if len(pair.score) < 2:
        return None
    played = [replace(n, velocity=int(v)) for n, v in zip(pair.score, pair.velocities)]
    return Performance(
        name=str(path),
        starts=np.array([n.start for n in played]), ends=np.array([n.end for n in played]),
        pitches=np.array([n.pitch for n in played]), velocities=pair.velocities.copy(),
        deviations=_shaped(played, level_seconds),
        offsets=pair.offsets.copy(), meter=meters.of_file(read(path).midi, pair.score),
    )


def load_daw_case(path: Path,
                  level_seconds: float = LEVEL_SECONDS) -> Performance | None:
    """The exact DAW case of a performance for a note-level style: ASAP's match file where
    there is one, a quantized part with its beat file (POP909), else the performance on
    the grid of its tempo; a Weimar Jazz Database solo on the grid of its beat track."""
    if path.suffix == wjd.SUFFIX:
        return load_solo_case(path)
    if match_of(path).is_file() or asap.has_score(path):
        return load_match_pair(path, level_seconds)
    if (path.parent / POP909_BEATS).is_file():
        return load_beat_part(path, level_seconds)
    return load_grid_pair(path, level_seconds)


def load_beat_part(path: Path,
                   level_seconds: float = LEVEL_SECONDS) -> Performance | None:
    """A part already quantized, with its beats annotated beside it (POP909): its notes as
    input, their played velocities as targets, the meter from the beat file."""
    performance = load_performance(path, level_seconds)
    if performance is None:
        return None
    beats, downbeats = read_beats(path.parent / POP909_BEATS)
    performance.meter = meter_from_beats(performance.starts, beats, downbeats)
    return performance


def load_solo_case(path: Path) -> Performance | None:
    """A Weimar Jazz Database solo's DAW case (wjd.load_solo): its timing and lengths as
    targets, its velocities unknown (the data has no dynamics) and its input flat."""
    solo = wjd.load_solo(path)
    if solo is None:
        return None
    unknown = np.full(len(solo.starts), np.nan)
    return Performance(name=str(path), starts=solo.starts, ends=solo.ends,
                       pitches=solo.pitches, velocities=unknown, deviations=unknown.copy(),
                       offsets=solo.offsets, meter=solo.meter, lengths=solo.lengths)
