"""The perform step: what a style predicted for some notes -> what is played.

Offline (humanizer.offline) and live (the daemon's scheduler) both call `perform` with the
same prediction for the same notes, so a file humanized at `--latency L` and the same part
played through the daemon at latency L come out the same: the variation each part draws
from its stream of takes, the velocities and onset shifts (humanizer.output), and which
notes the style gave no usable numbers for - those keep their velocity and place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from humanizer import output
from humanizer.prediction import Prediction
from humanizer.variation import Takes


@dataclass
class Performed:
    """Per note, in the order given: the velocity played, the onset shift (seconds), and
    how many notes got no finite prediction (`rejected`: kept as they came)."""

    velocities: np.ndarray
    shifts: np.ndarray
    rejected: int


def variation_noise(takes: Takes, starts: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Each note's draw from its part's stream (in the notes' order within a part)."""
    noise = np.empty(len(starts))
    for owner in np.unique(owners):
        mine = np.flatnonzero(owners == owner)
        noise[mine] = takes.draw(int(owner), starts[mine])
    return noise


def perform(prediction: Prediction, velocities: np.ndarray, starts: np.ndarray,
            owners: np.ndarray, settings: output.OutputSettings, takes: Takes | None,
            timing: bool) -> Performed:
    """The notes' velocities and shifts: their input `velocities` (at `starts`, each of
    the part `owners` says) shaped by the prediction with the settings, each part varied
    by its stream of `takes` (with the settings' variation), moved where the style has a
    timing head (`timing`) and timing is on."""
    starts = np.asarray(starts, dtype=np.float64)
    owners = np.asarray(owners, dtype=np.int64)
    noise = None
    if takes is not None and settings.variation > 0:
        noise = variation_noise(takes, starts, owners)
    broken = ~(np.isfinite(prediction.levels) & np.isfinite(prediction.deviations)
               & np.isfinite(prediction.offsets))
    played = output.velocities(np.asarray(velocities, dtype=np.float64), prediction.levels,
                               prediction.deviations, prediction.spreads, settings,
                               prediction.variations, noise)
    shifts = output.shifts(prediction.offsets, settings, timing)
    return Performed(played, shifts, int(broken.sum()))
