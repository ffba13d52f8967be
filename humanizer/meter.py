"""Where each note falls in the bar: the meter a DAW knows.

A note's beat phase (0 on the beat, 0.5 halfway to the next), its position in the bar in
beats (0 on the downbeat) and the bar's length in beats. A beat is the time signature's
unit (3/4 counts quarters, 6/8 eighths), as the ASAP match files count it. Offline the
meter comes from a file's tempo map and time signatures; where nothing says it (the live
daemon without MIDI clock), it is unknown, and the style plays as it was trained to
without one (`known` 0, the other values 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mido
import numpy as np

from humanizer.notes import Note, tempo_maps

DEFAULT_SIGNATURE = (4, 4)
# a song's time signatures, live: (first bar, numerator, denominator) of each, from bar 1
Signatures = tuple[tuple[int, int, int], ...]


@dataclass
class Meter:
    """Per note: beat phase in [0, 1), position in the bar in beats, beats in the bar,
    and whether any of it is known (1) or not (0)."""

    phase: np.ndarray
    position: np.ndarray
    beats: np.ndarray
    known: np.ndarray

    @staticmethod
    def unknown(count: int) -> Meter:
        return Meter(*(np.zeros(count) for _ in range(4)))

    def __getitem__(self, index) -> Meter:
        return Meter(self.phase[index], self.position[index], self.beats[index],
                     self.known[index])

    def __len__(self) -> int:
        return len(self.phase)

    @staticmethod
    def join(meters: Sequence[Meter]) -> Meter:
        return Meter(*(np.concatenate([getattr(m, name) for m in meters])
                       for name in ("phase", "position", "beats", "known")))


def signatures(midi: mido.MidiFile) -> list[tuple[int, int, int]]:
    """(tick, numerator, denominator) of the file's time signatures, in order (4/4 at
    tick 0 where the file says nothing first, as the MIDI standard has it)."""
    found = []
    for track in midi.tracks if midi.type != 2 else midi.tracks[:1]:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "time_signature":
                found.append((tick, message.numerator, message.denominator))
    found.sort(key=lambda change: change[0])
    # at one tick, the first track's says it (a stable sort keeps the file's order)
    found = [c for i, c in enumerate(found) if i == 0 or c[0] != found[i - 1][0]]
    if not found or found[0][0] > 0:
        found.insert(0, (0, *DEFAULT_SIGNATURE))
    return found


def at_ticks(ticks: np.ndarray, ticks_per_beat: int,
             changes: list[tuple[int, int, int]]) -> Meter:
    """The meter of onsets given in ticks, from the time signature changes: each change
    starts a bar. Placed as live positions are (`placed_in`): a played file too."""
    quarters = np.asarray(ticks, dtype=np.float64) / ticks_per_beat
    starts = np.array([tick for tick, _, _ in changes], dtype=np.float64) / ticks_per_beat
    section, beats = placed_in(quarters, starts, np.array([d for _, _, d in changes]))
    return _meter(section, beats, np.array([n for _, n, _ in changes]),
                  np.ones(len(quarters), dtype=bool))


def of_file(midi: mido.MidiFile, notes: Sequence[Note]) -> Meter:
    """The meter of notes read from `midi` (humanizer.notes.read), from their onset ticks."""
    maps = tempo_maps(midi)
    ticks = np.array([maps[note.track].tick(note.start) for note in notes], dtype=np.float64)
    return at_ticks(ticks, midi.ticks_per_beat, signatures(midi))


SNAP_DIVISIONS = (1, 2, 3, 4)  # of a beat: coarsest first, lines at least 1/12 apart
SNAP = 1 / 48  # beats: how far a live position may be from the beat line it means
GRID = 48  # the finest grid: 48ths of a beat hold 16ths, 32nds and triplets


def snapped(beats: np.ndarray) -> np.ndarray:
    """Positions in beats moved onto the beat, the half, a third or a quarter of it when
    within SNAP, else onto the nearest 48th: live MIDI arrives a few ms off the grid a DAW
    played it on, and the features "on the beat" and "downbeat" must not hang on them."""
    result = np.asarray(beats, dtype=np.float64).copy()
    free = np.isfinite(result)
    for division in SNAP_DIVISIONS:
        line = np.round(result * division) / division
        near = free & (np.abs(result - line) < SNAP)
        result[near] = line[near]
        free &= ~near
    result[free] = np.round(result[free] * GRID) / GRID
    return result


def sections(signatures: Signatures) -> np.ndarray:
    """The position in quarters each signature's first bar starts at: the bars before it
    are counted in the signatures before it."""
    starts, start = [0.0], 0.0
    for (before, upper, lower), (bar, _, _) in zip(signatures, signatures[1:]):
        start += (bar - before) * upper * 4 / lower  # the bars of the one before, in quarters
        starts.append(start)
    return np.array(starts)


def placed_in(quarters: np.ndarray, starts: np.ndarray, units: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """(the section each position falls in, its beats from that section's start, snapped),
    for sections starting at `starts` (quarters, ascending, the first at 0) counted in
    beats of 4 / `units` quarters: a position snapped onto the next section's start - a
    note a few ms early for a new signature's downbeat - is on that downbeat."""
    units = np.asarray(units, dtype=np.float64)
    section = np.maximum(np.searchsorted(starts, quarters, side="right") - 1, 0)
    beats = snapped((quarters - starts[section]) * units[section] / 4)
    ends = np.append(starts[1:], np.inf)[section]
    on_next = beats >= (ends - starts[section]) * units[section] / 4
    section[on_next] += 1
    beats[on_next] = 0.0
    return section, beats


def placed(quarters: np.ndarray, signatures: Signatures) -> tuple[np.ndarray, np.ndarray]:
    """(the signature each song position falls in, its beats from that signature's first
    bar, snapped) - `placed_in` the song's signature sections."""
    return placed_in(quarters, sections(signatures),
                     np.array([denominator for _, _, denominator in signatures]))


def _meter(section: np.ndarray, beats: np.ndarray, numerators: np.ndarray,
           known: np.ndarray) -> Meter:
    """The Meter of placed positions (zeros where not `known`)."""
    bar = np.asarray(numerators, dtype=np.float64)[section]
    return Meter(np.where(known, np.mod(beats, 1.0), 0.0), np.where(known, np.mod(beats, bar), 0.0),
                 np.where(known, bar, 0.0), known.astype(np.float64))


def of_positions(quarters: np.ndarray, signatures: Signatures) -> Meter:
    """The meter of song positions in quarter notes (the live transport's; NaN where it
    is unknown), bars from position 0 in the song's time signatures, snapped (SNAP)."""
    quarters = np.asarray(quarters, dtype=np.float64)
    known = np.isfinite(quarters)
    section, beats = placed(np.where(known, quarters, 0.0), signatures)
    return _meter(section, beats, np.array([numerator for _, numerator, _ in signatures]),
                  known)


def bar_and_beat(quarters: float, signatures: Signatures) -> str | None:
    """A song position as a DAW shows it, bar.beat from 1.1 (beats with two decimals);
    None where it is unknown."""
    if not np.isfinite(quarters):
        return None
    section, beats = placed(np.array([quarters]), signatures)
    first, numerator, _ = signatures[int(section[0])]
    bar, beat = divmod(float(beats[0]), numerator)
    return f"{int(bar) + first}.{beat + 1:.2f}"


def signature_at(quarters: float, signatures: Signatures) -> str:
    """The time signature in force at a song position (the first where it is unknown)."""
    section = placed(np.array([quarters if np.isfinite(quarters) else 0.0]), signatures)[0]
    _, numerator, denominator = signatures[int(section[0])]
    return f"{numerator}/{denominator}"


def signatures_text(signatures: Signatures) -> str:
    """As a musician writes them: 4/4, or 4/4 3/4@17 where bar 17 changes to 3/4."""
    return " ".join(f"{numerator}/{denominator}" + (f"@{bar}" if index else "")
                    for index, (bar, numerator, denominator) in enumerate(signatures))
