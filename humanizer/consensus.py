"""What the players of one piece agree on, note for note.

A performance's deviations are the score's (what every pianist does there) plus the
player's own (what this one did that evening). Where a piece has several performances
(ASAP: a folder), the mean of their deviations on the same score note - (quarter
position, pitch) - keeps the first and averages the second away. Evaluation measures the
leave-one-out mean (the other players) as the ceiling of what a score tells
(humanizer.musical); training can aim a crop at the mean of all of them
(`piece_consensus`). Both are `agreed`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from humanizer.datasets.performance import Performance

Key = tuple[float, int]  # a score note: its quarter position and pitch


def score_keys(quarters: np.ndarray, pitches: np.ndarray) -> list[Key]:
    """Each note's score note. The positions are the match file's own fractions, the same
    in every performance (rounded only past float noise: to a thousandth, a 64th-note
    onset such as 7.1875 fell either way of the rounding, and 7.5 % of one sonata's notes
    lost their other players)."""
    return list(zip(np.round(quarters, 6).tolist(), np.asarray(pitches).astype(int).tolist()))


def agreed(members: Sequence[Sequence[tuple[Key, float]]],
           leave_out: bool) -> list[np.ndarray]:
    """For each member (one performance's (score note, value) pairs) and each of its
    pairs, the mean value the players gave that score note - all of them, or with
    `leave_out` the others only; NaN where none did (NaN values count as not played)."""
    played: dict[Key, list[tuple[int, float]]] = defaultdict(list)
    for number, pairs in enumerate(members):
        for key, value in pairs:
            if not np.isnan(value):
                played[key].append((number, float(value)))
    result = []
    for number, pairs in enumerate(members):
        means = []
        for key, _ in pairs:
            values = [v for player, v in played[key] if not (leave_out and player == number)]
            means.append(float(np.mean(values)) if values else np.nan)
        result.append(np.array(means))
    return result


def piece_consensus(performances: Sequence[Performance]) -> list[np.ndarray | None]:
    """For each performance, the mean deviation (velocity steps) over all performances of
    its piece (the folder it is in, itself included) on each of its score notes - NaN
    where it did not play the note; None for a performance without score positions or
    alone with its piece (its own deviations are the consensus then)."""
    pieces: dict[Path, list[int]] = defaultdict(list)
    for index, performance in enumerate(performances):
        if performance.quarters is not None:
            pieces[Path(performance.name).parent].append(index)
    result: list[np.ndarray | None] = [None] * len(performances)
    for members in pieces.values():
        if len(members) < 2:
            continue
        pairs = [list(zip(score_keys(performances[i].quarters, performances[i].pitches),
                          performances[i].deviations)) for i in members]
        for index, mean in zip(members, agreed(pairs, leave_out=False)):
            result[index] = np.where(np.isnan(performances[index].deviations), np.nan, mean)
    return result
