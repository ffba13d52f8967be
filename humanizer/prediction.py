"""What a style predicts for each note of a part, in the notes' order.

One record, so that the engine's whole-file and windowed paths, the perform step and the
daemon's scheduler pass the same fields and cannot drop one on the way; `calibrated`
makes it from a style's raw results, the same for both model families.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from humanizer.contract import Contract


@dataclass
class Prediction:
    """Per-note results, in the order of the notes given: the input's local level, the
    model's re-centred deviation from it and the local spread of those deviations (all in
    velocity steps), the re-centred onset offset in seconds (zero without a timing head),
    how much a player varies each note's velocity (velocity steps; zero for a style
    that does not predict it), for seeded variation (humanizer.variation), and what the
    model added to the accents it heard and its onset offset, before they were centred
    (velocity steps before the gain, seconds): live, what the part's later notes are
    centred on (humanizer.centres); the log2 of each note's played length over its
    written one (zero without a length head)."""

    levels: np.ndarray
    deviations: np.ndarray
    spreads: np.ndarray
    offsets: np.ndarray
    variations: np.ndarray
    added: np.ndarray
    uncentred_offsets: np.ndarray
    lengths: np.ndarray

    FIELDS = ("levels", "deviations", "spreads", "offsets", "variations", "added",
              "uncentred_offsets", "lengths")

    @staticmethod
    def empty(count: int = 0) -> Prediction:
        return Prediction(*(np.zeros(count) for _ in Prediction.FIELDS))

    def __getitem__(self, index: np.ndarray) -> Prediction:
        return Prediction(*(getattr(self, name)[index] for name in Prediction.FIELDS))

    def put(self, slots: np.ndarray | slice, other: Prediction) -> None:
        """Fill `slots` with another prediction's results."""
        for name in Prediction.FIELDS:
            getattr(self, name)[slots] = getattr(other, name)


def calibrated(contract: Contract, levels: np.ndarray, deviations: np.ndarray,
               spreads: np.ndarray, offsets: np.ndarray, uncentred: np.ndarray,
               uncentred_offsets: np.ndarray, log_variations: np.ndarray | None = None,
               accents: np.ndarray | None = None,
               heard: np.ndarray | None = None,
               lengths: np.ndarray | None = None) -> Prediction:
    """A style's raw results (velocity steps, and offsets in model units) as a Prediction,
    calibrated by its contract's gain (`uncentred`, `uncentred_offsets`: the deviations
    and offsets before they were centred; the deviations are kept less the accents heard -
    what the style added, which a part is centred on); `log_variations` a note-level
    model's log spreads (model units). `accents`: the dynamics the user drew in (each
    input velocity above its level, velocity steps), `heard` what of them the style heard
    (notefeatures.heard_accents; default all). The gain scales what the style adds to
    what it heard, and the user's own accents are kept whole: else a style calibrated to
    1.75 on flat parts plays a drawn accent 1.75 times as loud, and one drawn beyond what
    it hears comes out below itself. `lengths`: a length head's log2 ratios, as they are."""
    gain = contract.gain  # (the spread head is the model's own error: not scaled by the
    variations = np.zeros(len(levels)) if log_variations is None else (  # gain, but by
        np.exp(np.clip(log_variations, -5.0, 3.0))  # its own calibration)
        * contract.deviation_scale * contract.variation_scale)
    drawn = 0.0 if accents is None else accents
    heard = drawn if heard is None else heard
    return Prediction(levels, drawn + (deviations - heard) * gain, spreads * gain,
                      offsets * contract.offset_scale, variations, uncentred - heard,
                      uncentred_offsets * contract.offset_scale,
                      np.zeros(len(levels)) if lengths is None else lengths)
