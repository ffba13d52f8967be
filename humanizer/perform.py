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
from humanizer.variation import OWN_SHARE, Takes


@dataclass
class Performed:
    """Per note, in the order given: the velocity played, the onset shift (seconds), the
    length ratio played (log2: its end moves by output.length_change once the note's
    length is known), and how many notes got no finite prediction (`rejected`: kept as
    they came)."""

    velocities: np.ndarray
    shifts: np.ndarray
    stretches: np.ndarray
    rejected: int


def variation_noise(takes: Takes, starts: np.ndarray, owners: np.ndarray,
                    own_share: float = OWN_SHARE) -> np.ndarray:
    """Each note's draw from its stream (`owners`), taken in time order as the notes of a
    channel come live: two tracks on one channel share its stream, and drawn one after the
    other the second went back in time, its drift never moved, and the whole track leaned
    one way (a two-handed piano part came out 4 above its level)."""
    noise = np.empty(len(starts))
    for owner in np.unique(owners):
        mine = np.flatnonzero(owners == owner)
        mine = mine[np.argsort(starts[mine], kind="stable")]
        noise[mine] = takes.draw(int(owner), starts[mine], own_share)
    return noise


LAYERED = 0.015  # seconds: onsets of one part this close are one stroke (a flam, a clap)
TOGETHER = 0.015  # seconds a layered note's shift may differ from its stroke's first note


def layered(shifts: np.ndarray, starts: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """The shifts with each part's layered notes - onsets within LAYERED of the one before
    - kept within TOGETHER of their stroke's first note's shift: a flam stays a flam, a
    layered clap one clap (issue 35: two hits 6 ticks apart came out 42 apart), while a
    kick may still lead the hat it is played with by a few milliseconds, as drummers do
    (moving the whole stroke as one erased that feel)."""
    shifts = np.asarray(shifts, dtype=np.float64).copy()
    for owner in np.unique(owners):
        mine = np.flatnonzero(owners == owner)
        mine = mine[np.argsort(starts[mine], kind="stable")]
        first = mine[0]
        for previous, note in zip(mine[:-1], mine[1:]):
            if starts[note] - starts[previous] > LAYERED:
                first = note
            elif note != first:
                shifts[note] = np.clip(shifts[note], shifts[first] - TOGETHER,
                                       shifts[first] + TOGETHER)
    return shifts


def perform(prediction: Prediction, velocities: np.ndarray, starts: np.ndarray,
            owners: np.ndarray, settings: output.OutputSettings, takes: Takes | None,
            timing: bool, streams: np.ndarray | None = None,
            own_share: float = OWN_SHARE, lengths: bool = False) -> Performed:
    """The notes' velocities and shifts: their input `velocities` (at `starts`, each of
    the part `owners` says) shaped by the prediction with the settings, varied by the
    streams of `takes` (with the settings' variation) each note's `streams` names - its
    MIDI channel, offline as live, so a take offline is the take the daemon plays (default:
    its part; `own_share`: the style's share of each note's own noise in it), at its
    channel's strength (without streams, the channels are not known: the one strength)
    - and moved
    where the style has a timing head (`timing`) and timing is on, and lengthened or
    shortened where it has a length head (`lengths`) and articulation is on."""
    starts = np.asarray(starts, dtype=np.float64)
    owners = np.asarray(owners, dtype=np.int64)
    noise = None
    if takes is not None and settings.variation > 0:
        noise = variation_noise(takes, starts, owners if streams is None
                                else np.asarray(streams, dtype=np.int64), own_share)
    broken = ~(np.isfinite(prediction.levels) & np.isfinite(prediction.deviations)
               & np.isfinite(prediction.offsets))
    channels = None if streams is None else np.asarray(streams, dtype=np.int64)
    played = output.velocities(np.asarray(velocities, dtype=np.float64), prediction.levels,
                               prediction.deviations, prediction.spreads, settings,
                               prediction.variations, noise, channels)
    shifts = output.shifts(prediction.offsets, settings, timing)
    if shifts.any():
        shifts = layered(shifts, starts, owners)
    stretches = output.stretches(prediction.lengths, settings, lengths)
    return Performed(played, shifts, stretches, int(broken.sum()))
