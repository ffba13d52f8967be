"""The running centre a lookahead window's due note is centred on: the mean of what the
model added to the accents it heard (its uncentred deviations less those accents) and of
its onset offsets, for its part's notes up to it, each weighed less the longer ago it was
played: exponentially, over a memory as long as the part has played (`kept`), from
OPENING_SECONDS to CENTRE_SECONDS.

What the style heard is the user's, and is kept whole: in a window the input's level lags
a drawn swell, which is then heard as accents, and a centre of the deviations with them
took the swell out (a hairpin 50 -> 100 -> 50 came out 14.6 below itself at 500 ms).

A window's own notes would not do: along one window the model's deviations drift
(measured: -1.4 over its first half, -7 at its end), and the due note sits at the window's
edge, so the window's mean lags that drift and a part leaves its level (a bass at 60 came
out at 47 at 0 ms) or its place in the band (drums drawn on the grid came out 3-4 ms
early or late on average at 0 and 250 ms). The running centre weighs what the part's notes
got when each of them was due, like compared with like. Exponential weights make it a
state of five numbers per part that each note moves on (`Centre.after`), the same note by
note offline, where every note is due in one call, as live, where the daemon keeps each
channel's (daemon.centres): a dense part costs no more than a sparse one, however long
the take. One width serves both: on the drums' test split a narrower memory for the
offsets (4-32 s) placed notes no closer to the drummers (16.3-16.4 ms at 500 ms).

The memory grows with the part: a style opens a part softly (the piano adds -3.6 and
-4.9 to a quiet melody's first two dozen notes, -2 to the rest), and a centre that kept
the opening for 128 s held the rest of a 38 s part 1.5 above its level. Remembering as
long as the part has played, the opening is centred on itself and then forgotten: the
melody at 41 comes out at 41.8 (was 42.8) at 500 ms, at no cost on the test splits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

# How long the centre remembers: the model's own offset from zero moves slowly, and a
# shorter memory takes the phrase's shape out with it (docs/experiments.md: on the piano's
# test split at 500 ms a Gaussian centre 16 s wide played 12.43, 128 s wide 12.03).
CENTRE_SECONDS = 128.0
OPENING_SECONDS = 4.0  # ... but never longer than the part has played, nor shorter than this


def _forgotten(age: float) -> float:
    """How far (in e-folds) the centre has forgotten, from a part's first note to `age`
    seconds into it, at a memory as long as the part's age within OPENING_SECONDS and
    CENTRE_SECONDS: the integral of 1 / memory."""
    if age <= OPENING_SECONDS:
        return age / OPENING_SECONDS
    if age <= CENTRE_SECONDS:
        return 1.0 + math.log(age / OPENING_SECONDS)
    return 1.0 + math.log(CENTRE_SECONDS / OPENING_SECONDS) + (
        age - CENTRE_SECONDS) / CENTRE_SECONDS


def kept(start: float, then: float, now: float) -> float:
    """What is left at `now` of the weight of a note played at `then`, in a part whose
    first note was at `start`: the part's first note weighs OPENING_SECONDS / (e x age)
    once the part has played on, a note two minutes in as with a memory of
    CENTRE_SECONDS."""
    return math.exp(_forgotten(then - start) - _forgotten(max(now, then) - start))


@dataclass(frozen=True)
class Centre:
    """A part's running centre as of its latest note (`time`): the weighted sums of what
    the style added to its notes (`total`, velocity steps), of their onset offsets
    (`offset_total`, seconds) and of their weights (`weight`), since its first note
    (`start`); a part with no notes yet weighs nothing, and its means are not a number."""

    time: float = 0.0
    weight: float = 0.0
    total: float = 0.0
    offset_total: float = 0.0
    start: float = 0.0  # the part's first note

    def after(self, time: float, value: float, offset: float) -> Centre:
        """The centre once a note at `time` (not before the latest: notes come in order)
        got `value` added and the onset offset `offset`. A note the style predicted no
        finite number for leaves it as it was: it plays as drawn, and the part's other
        notes are centred as if it were not there, live as offline."""
        if not (math.isfinite(value) and math.isfinite(offset)):
            return self
        if not self.weight:
            return Centre(time, 1.0, value, offset, time)
        left = kept(self.start, self.time, time)
        return Centre(max(time, self.time), self.weight * left + 1.0,
                      self.total * left + value, self.offset_total * left + offset,
                      self.start)

    @property
    def mean(self) -> float:
        return self.total / self.weight if self.weight else math.nan

    @property
    def offset_mean(self) -> float:
        return self.offset_total / self.weight if self.weight else math.nan


def running_means(times: np.ndarray, owners: np.ndarray, values: np.ndarray,
                  offsets: np.ndarray, before: Mapping[int, Centre]
                  ) -> tuple[np.ndarray, np.ndarray, dict[int, Centre]]:
    """Each note's running centre (notes in time order, `values` what the style added to
    them and `offsets` their onset offsets, both before centring) over its own part's
    notes up to and at its onset, continuing each part from its centre `before` (a part
    not in it: from no notes): the means added, the mean offsets, and the parts' centres
    after the last notes."""
    centres = dict(before)
    means, offset_means = np.empty(len(times)), np.empty(len(times))
    first = 0
    for i in range(len(times)):
        owner = int(owners[i])
        centres[owner] = centres.get(owner, Centre()).after(
            float(times[i]), float(values[i]), float(offsets[i]))
        if i + 1 == len(times) or times[i + 1] != times[i]:  # a chord: all of it counts
            for j in range(first, i + 1):
                means[j] = centres[int(owners[j])].mean
                offset_means[j] = centres[int(owners[j])].offset_mean
            first = i + 1
    return means, offset_means, centres
