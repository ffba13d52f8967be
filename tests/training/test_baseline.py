"""The gradient-boosting baseline: one row per played note, in the case's order."""

import numpy as np
from helpers import ASAP

from humanizer import notefeatures
from humanizer.cases import match_case
from humanizer.training.baseline import predictions, rows

PERFORMANCE = ASAP / "Bach" / "Fugue" / "bwv_846" / "Shi05M.mid"


class Constant:
    def __init__(self, value: float):
        self.value = value

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.full(len(features), self.value)


def test_rows_are_the_played_notes_features_with_their_deviations():
    case = match_case(PERFORMANCE)
    features, targets, levels = rows(case, 8.0)
    assert features.shape == (len(case.measured), notefeatures.INPUTS)
    pitch = notefeatures.FEATURES.index("pitch")
    order = np.argsort(features[:, pitch], kind="stable")  # a feature of each own note
    expected = np.array([case.notes[i].pitch for i in case.measured])
    assert np.array_equal(np.argsort(expected, kind="stable"), order)
    assert abs(targets.mean()) < 0.05 and np.allclose(levels, case.notes[0].velocity)
    # a constant deviation is re-centred away: the flat input, at any gain
    flat = predictions(Constant(0.3), case, 8.0, gain=2.0)
    assert np.all(flat == case.notes[0].velocity)
