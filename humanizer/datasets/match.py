"""ASAP's match files: the exact DAW case of a piano performance.

A match file joins every score note (`snote`: its place in the bar, its onset and offset
in beats of the time signature) to the performed note that played it (`note`: MIDI pitch,
onset and offset in ticks, velocity); `deletion`s are score notes nobody played,
`insertion`s performed notes the score does not have. From it, what a DAW user draws: the
score at one tempo (the performance's own mean tempo, a least-squares fit of performed
onset against score position in quarter notes), with its meter - and what the pianist
played on each note.

A small parser rather than partitura: it reads the few line kinds needed here, 1044 files
in seconds, and keeps the runtime free of the train extra (it is plain text).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from humanizer.errors import HumanizerError
from humanizer.meter import Meter

_SNOTE = re.compile(
    r"snote\((?P<id>[^,]+),\[(?P<step>[A-Ga-g]),(?P<mod>[^\]]*)\],(?P<octave>-?\d+),"
    r"(?P<bar>-?\d+):(?P<beat>\d+),(?P<offset>[^,]+),(?P<duration>[^,]+),"
    r"(?P<onset>[^,]+),(?P<end>[^,]+),\[(?P<attrs>[^\]]*)\]\)-(?P<rest>.*)\.\s*$")
# the two versions ASAP's files come in: 1.0.0 gives a performed note's MIDI pitch, 5.0
# its spelling, and an adjusted (pedalled) offset before the velocity
_NOTE = re.compile(r"note\((?P<id>[^,]+),(?P<pitch>\d+),(?P<on>-?\d+),(?P<off>-?\d+),"
                   r"(?P<velocity>\d+)")
_NOTE_5 = re.compile(r"note\((?P<id>[^,]+),\[(?P<step>[A-Ga-g]),(?P<mod>[^\]]*)\],"
                     r"(?P<octave>-?\d+),(?P<on>-?\d+),(?P<off>-?\d+),(?P<adjusted>-?\d+),"
                     r"(?P<velocity>\d+)")
_SIGNATURE = re.compile(r"scoreprop\(timeSignature,(?P<num>\d+)/(?P<den>\d+),[^,]*,[^,]*,"
                        r"(?P<beat>[^)]+)\)")
_SIGNATURE_5 = re.compile(r"meta\(timeSignature,(?P<num>\d+)/(?P<den>\d+),[^,]*,"
                          r"(?P<beat>[^)]+)\)")
_FIRST_SIGNATURE_5 = re.compile(r"info\(timeSignature,\[(?P<num>\d+)/(?P<den>\d+)\]\)")
_INFO = re.compile(r"info\((?P<key>\w+),(?P<value>[^)]*)\)")
STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MODS = {"n": 0, "#": 1, "b": -1, "##": 2, "bb": -2, "x": 2, "": 0}
MIN_PLAYED = 0.8  # a performance must play this share of its score notes
MIN_FIT = 0.98  # and follow it: performed onset against score position, Pearson r
GRACE_BEATS = 0.125  # a grace note (no length in the score) lasts this long


@dataclass
class MatchedScore:
    """One performance's score notes (sorted by onset beat, then pitch) at one tempo, with
    what was played on each: velocity NaN where the note was not played (a deletion)."""

    name: str
    starts: np.ndarray  # seconds, the score at the performance's mean tempo
    ends: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray  # played; NaN for deletions
    meter: Meter
    seconds_per_quarter: float
    # each note's score position in quarters from the first, exact from the file's
    # fractions: the same score note has the same one in every performance of a piece
    quarters: np.ndarray
    # when the pianist played each note and let it go (seconds of the performance; NaN
    # for deletions): the timing and the lengths a score note was given
    performed_starts: np.ndarray | None = None
    performed_ends: np.ndarray | None = None

    @property
    def played(self) -> np.ndarray:
        return ~np.isnan(self.velocities)


def _fraction(text: str) -> float:
    return float(Fraction(text.strip()))


def midi_pitch(step: str, mod: str, octave: int) -> int:
    """The MIDI note of a spelled pitch (C4 = 60)."""
    return 12 * (octave + 1) + STEPS[step.upper()] + MODS.get(mod.strip(), 0)


def signature_at(signatures: list[tuple[float, int, int]], beat: float) -> tuple[int, int]:
    """(numerator, denominator) of the time signature in force at an onset beat (4/4
    before the first one)."""
    current = (4, 4)
    for start, numerator, denominator in sorted(signatures):
        if start > beat + 1e-9:
            break
        current = (numerator, denominator)
    return current


def quarters(signatures: list[tuple[float, int, int]], beat: float) -> float:
    """A match file's onset in beats of the time signature (whose unit changes with it:
    3/8 counts eighths, 2/4 quarters) as quarter notes, what a DAW's tempo counts."""
    ordered = sorted(signatures) or [(0.0, 4, 4)]
    total, last, unit = 0.0, ordered[0][0], 4 / ordered[0][2]
    if beat < last:
        return (beat - last) * unit
    for start, _, denominator in ordered[1:]:
        if start > beat:
            break
        total += (start - last) * unit
        last, unit = start, 4 / denominator
    return total + (beat - last) * unit


def read_match(path: str | Path) -> MatchedScore:
    """The matched score of one `.match` or `.match.gz` file."""
    path = Path(path)
    lines = _read_lines(path)
    ticks_per_second, signatures = _clock_and_signatures(lines)
    version_1 = any(line.startswith("info(matchFileVersion,1.") for line in lines[:5])
    rows = [_score_row(snote, signatures, ticks_per_second, version_1)
            for snote in map(_SNOTE.match, lines) if snote is not None]
    if len(rows) < 2:
        raise HumanizerError(f"{path}: a match file with fewer than two score notes")
    table = np.array(rows, dtype=np.float64)
    table = table[np.lexsort((table[:, 2], table[:, 0]))]
    onsets, ends = table[:, 0], table[:, 1]
    seconds_per_quarter = _seconds_per_quarter(path, onsets, performed=table[:, 4])
    first = onsets.min()
    meter = Meter(phase=table[:, 5], position=table[:, 6],
                  beats=table[:, 7], known=np.ones(len(table)))
    return MatchedScore(
        name=str(path),
        starts=(onsets - first) * seconds_per_quarter,
        ends=(ends - first) * seconds_per_quarter,
        pitches=table[:, 2].astype(np.int64),
        velocities=table[:, 3],
        meter=meter,
        seconds_per_quarter=seconds_per_quarter,
        quarters=onsets - first,
        performed_starts=table[:, 4],
        performed_ends=table[:, 8],
    )


def _read_lines(path: Path) -> list[str]:
    """The file's lines; an unreadable or broken file is the user's error, not a crash."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as file:
            return file.read().splitlines()
    except (OSError, EOFError) as error:
        raise HumanizerError(f"{path}: cannot read the match file ({error})") from None


def _clock_and_signatures(lines: list[str]) -> tuple[float, list[tuple[float, int, int]]]:
    """The performed notes' MIDI ticks per second, and the score's time signatures as
    (onset beat, numerator, denominator). Where the file does not say: 480 ticks a quarter
    at 120 bpm, and the signature its 5.0 header gives (4/4 without one) from the start."""
    units, ticks_per_second = 480.0, 480 / 0.5
    first_signature = (4, 4)
    signatures: list[tuple[float, int, int]] = []
    for line in lines:
        if line.startswith("info("):
            info = _INFO.match(line)
            if info and info["key"] == "midiClockUnits":
                units = float(info["value"])
            if info and info["key"] == "midiClockRate":
                ticks_per_second = units / (float(info["value"]) / 1e6)
            if first := _FIRST_SIGNATURE_5.match(line):
                first_signature = (int(first["num"]), int(first["den"]))
            continue
        signature = _SIGNATURE.match(line) or _SIGNATURE_5.match(line)
        if signature:
            signatures.append((_fraction(signature["beat"]), int(signature["num"]),
                               int(signature["den"])))
    if not signatures:
        signatures = [(-1e9, *first_signature)]
    return ticks_per_second, signatures


def _score_row(snote: re.Match[str], signatures: list[tuple[float, int, int]],
               ticks_per_second: float, version_1: bool) -> tuple[float, ...]:
    """One score note as (onset and end in quarters, pitch, velocity, performed onset in
    seconds, phase within the beat, position in the bar, beats in the bar, performed end in
    seconds); velocity and performed onset and end NaN where nobody played it. The pitch
    is the performed note's where there is one, the score's spelling where not."""
    onset, end = _fraction(snote["onset"]), _fraction(snote["end"])
    if end - onset <= 0:
        end = onset + GRACE_BEATS
    pitch = midi_pitch(snote["step"], snote["mod"], int(snote["octave"]))
    numerator, denominator = signature_at(signatures, onset)
    # the offset within the beat is in whole notes; the beat itself counts quarter
    # notes in version 1.0.0 files and the signature's beats in 5.0 ones
    offset = _fraction(snote["offset"]) * denominator
    beat = int(snote["beat"]) - 1
    position = (beat * denominator / 4 if version_1 else beat) + offset
    phase = position % 1.0
    played = _NOTE.search(snote["rest"]) or _NOTE_5.search(snote["rest"])
    velocity = float(played["velocity"]) if played else np.nan
    performed = int(played["on"]) / ticks_per_second if played else np.nan
    released = int(played["off"]) / ticks_per_second if played else np.nan
    if played and played.re is _NOTE:
        pitch = int(played["pitch"])
    elif played:
        pitch = midi_pitch(played["step"], played["mod"], int(played["octave"]))
    return (quarters(signatures, onset), quarters(signatures, end),
            pitch, velocity, performed, phase, position, numerator, released)


def _seconds_per_quarter(path: Path, onsets: np.ndarray, performed: np.ndarray) -> float:
    """The performance's mean tempo: the least-squares slope of performed onset (seconds)
    against score onset (quarters). A performance that leaves much of its score unplayed,
    or does not follow it at one tempo, gives no score worth training on."""
    matched = ~np.isnan(performed)
    if matched.mean() < MIN_PLAYED:
        raise HumanizerError(f"{path}: only {matched.mean():.0%} of the score was played")
    if matched.sum() < 2 or np.ptp(onsets[matched]) <= 0:
        raise HumanizerError(f"{path}: too few played notes to find the tempo")
    slope, _ = np.polyfit(onsets[matched], performed[matched], 1)
    fit = np.corrcoef(onsets[matched], performed[matched])[0, 1]
    if not fit >= MIN_FIT:  # repeats played but not written out, or a broken alignment
        raise HumanizerError(f"{path}: the performance does not follow its score at one "
                             f"tempo (r {fit:.3f})")
    return float(max(slope, 0.05))


def match_of(performance: Path) -> Path:
    """The match file ASAP keeps beside a performance (whether it exists or not)."""
    return performance.parent / f"{performance.stem}.match.gz"
