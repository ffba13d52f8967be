"""A player's feel against a written part: onset offsets from the local beat, and lengths.

What a band's player does with a part is not the tempo (the band keeps it) but where each
note sits against the beat and how long it is held. From a performance aligned to its
score, the tempo is taken out by a line through the played onsets of the neighbouring
score onsets (within TEMPO_WINDOW quarters either side, the note's own onset left out so
that a note never explains itself): what is left is the push and pull, a chord's spread
and which voice leads. Offsets beyond OUTLIER (a fermata, a cadence's breath, an alignment
slip) are the rubato of a solo performance, not a feel: they count as unknown (NaN).

A note's length is the player's ratio of the written length, as log2 (0: as written, -1:
half of it, staccato), within LENGTH_RANGE.
"""

from __future__ import annotations

import numpy as np

TEMPO_WINDOW = 4.0  # quarters either side of a note: the beat a band would follow
OUTLIER = 0.1  # seconds: an offset beyond this is rubato or a slip, not feel
LENGTH_RANGE = (-4.0, 1.5)  # log2 of played / written length: 1/16 to 2.8 times


def local_beat(quarters: np.ndarray, performed: np.ndarray,
               window: float = TEMPO_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Each note's expected onset (seconds of the performance) and its local seconds per
    quarter, from the played onsets (NaN: not played) of the other score onsets within
    `window` quarters: a least-squares line through their medians, weighted to fall off
    toward the window's edge. NaN where fewer than 3 other onsets were played."""
    quarters = np.asarray(quarters, dtype=np.float64)
    performed = np.asarray(performed, dtype=np.float64)
    played = ~np.isnan(performed)
    onsets = np.unique(quarters[played])
    medians = np.array([np.median(performed[played & (quarters == q)]) for q in onsets])
    expected = np.full(len(quarters), np.nan)
    slope = np.full(len(quarters), np.nan)
    for q in np.unique(quarters):
        near = (np.abs(onsets - q) <= window) & (onsets != q)
        if near.sum() < 3:
            continue
        weights = 1.0 - np.abs(onsets[near] - q) / (window + 1e-9)
        line = np.polyfit(onsets[near] - q, medians[near], 1, w=np.sqrt(weights))
        mine = quarters == q
        expected[mine], slope[mine] = line[1], line[0]
    slope[~(slope > 0)] = np.nan  # a line that runs backwards is an alignment slip
    return expected, slope


def offsets_from_beat(quarters: np.ndarray, performed: np.ndarray,
                      seconds_per_quarter: float) -> np.ndarray:
    """Each note's played onset against its local beat, in seconds at the written tempo
    (`seconds_per_quarter`, as the DAW plays it); NaN where unknown or an outlier."""
    return offsets_against(performed, *local_beat(quarters, performed), seconds_per_quarter)


def offsets_against(performed: np.ndarray, expected: np.ndarray, slope: np.ndarray,
                    seconds_per_quarter: float) -> np.ndarray:
    """offsets_from_beat, given the local beat (local_beat's expected onsets and seconds
    per quarter) already worked out."""
    offsets = (np.asarray(performed) - expected) * seconds_per_quarter / slope
    offsets[~(np.abs(offsets) <= OUTLIER)] = np.nan
    return offsets


def length_ratios(played: np.ndarray, written: np.ndarray) -> np.ndarray:
    """log2 of each note's played length over its written length (both in seconds of one
    tempo), within LENGTH_RANGE; NaN where either is unknown or not positive."""
    played = np.asarray(played, dtype=np.float64)
    written = np.asarray(written, dtype=np.float64)
    usable = (played > 0) & (written > 0)
    ratios = np.full(len(played), np.nan)
    ratios[usable] = np.clip(np.log2(played[usable] / written[usable]), *LENGTH_RANGE)
    return ratios
