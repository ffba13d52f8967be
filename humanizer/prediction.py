"""What a style predicts for each note of a part, in the notes' order.

One record, so that the engine's whole-file and windowed paths, the offline output step and
the daemon's scheduler pass the same fields and cannot drop one on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Prediction:
    """Per-note results, in the order of the notes given: the input's local level, the
    model's re-centred deviation from it and the local spread of those deviations (all in
    velocity steps), the re-centred onset offset in seconds (zero without a timing head),
    how much a player varies each note's velocity (velocity steps; zero for a style
    that does not predict it), for seeded variation (humanizer.variation), and what the
    model added to the accents it heard and its onset offset, before they were centred
    (velocity steps before the gain, seconds): live, what the part's later notes are
    centred on (humanizer.centres)."""

    levels: np.ndarray
    deviations: np.ndarray
    spreads: np.ndarray
    offsets: np.ndarray
    variations: np.ndarray
    added: np.ndarray
    uncentred_offsets: np.ndarray

    FIELDS = ("levels", "deviations", "spreads", "offsets", "variations", "added",
              "uncentred_offsets")

    @staticmethod
    def empty(count: int = 0) -> Prediction:
        return Prediction(*(np.zeros(count) for _ in Prediction.FIELDS))

    def __getitem__(self, index: np.ndarray) -> Prediction:
        return Prediction(*(getattr(self, name)[index] for name in Prediction.FIELDS))

    def put(self, slots: np.ndarray | slice, other: Prediction) -> None:
        """Fill `slots` with another prediction's results."""
        for name in Prediction.FIELDS:
            getattr(self, name)[slots] = getattr(other, name)
