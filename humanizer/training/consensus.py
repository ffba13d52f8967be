"""Consensus targets: what the players of one piece agree on, note for note.

A performance's deviations are the score's (what every pianist does there) plus the
player's own (what this one did that evening). A model given only the score can learn
just the first; the second is noise to it. Where a piece has several performances (ASAP:
a folder), the mean of their deviations on the same score note - (quarter position, pitch)
- keeps the first and averages the second away, so a training crop can aim at it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from humanizer.datasets.performance import Performance


def score_keys(performance: Performance) -> list[tuple[float, int]]:
    """Each note's score note: its quarter position and pitch. The positions are the
    match file's own fractions, the same in every performance (rounded only past float
    noise: to a thousandth, a 64th-note onset such as 7.1875 fell either way of the
    rounding, and 7.5 % of one sonata's notes lost their other players)."""
    quarters = np.round(performance.quarters, 6)
    return list(zip(quarters.tolist(), performance.pitches.astype(int).tolist()))


def piece_consensus(performances: Sequence[Performance]) -> list[np.ndarray | None]:
    """For each performance, the mean deviation (velocity steps) over all performances of its piece
    (the folder it is in, itself included) on each of its score notes - NaN where it did
    not play the note; None for a performance without score positions or alone with its
    piece (its own deviations are the consensus then)."""
    pieces: dict[Path, list[int]] = defaultdict(list)
    for index, performance in enumerate(performances):
        if performance.quarters is not None:
            pieces[Path(performance.name).parent].append(index)
    result: list[np.ndarray | None] = [None] * len(performances)
    for members in pieces.values():
        if len(members) < 2:
            continue
        sums: dict[tuple[float, int], list[float]] = defaultdict(lambda: [0.0, 0])
        keys = {index: score_keys(performances[index]) for index in members}
        for index in members:
            for key, target in zip(keys[index], performances[index].deviations):
                if not np.isnan(target):
                    sums[key][0] += float(target)
                    sums[key][1] += 1
        for index in members:
            own = performances[index].deviations
            mean = np.array([sums[key][0] / sums[key][1] if sums[key][1] else np.nan
                             for key in keys[index]])
            result[index] = np.where(np.isnan(own), np.nan, mean)
    return result
