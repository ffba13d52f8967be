"""`eval --feel`'s numbers on notes whose answers are known."""

import numpy as np
import pytest

from humanizer.feel_report import Feel, feel_report


def test_onsets_chords_and_lengths_are_set_beside_the_players():
    """A chord of three (its top note played 20 ms before the others' mean, spread 25 ms)
    and a single note; the style plays the chord together, 5 ms late, and each note half
    as long as written where the player held them as written."""
    feel = Feel(starts=np.array([0.0, 0.0, 0.0, 1.0]), pitches=np.array([60, 64, 72, 60]),
                played_offsets=np.array([0.01, 0.02, -0.005, np.nan]),
                shifts=np.array([0.005, 0.005, 0.005, 0.0]),
                played_lengths=np.array([0.0, 0.0, -1.0, np.nan]),
                lengths=np.array([-1.0, -1.0, -1.0, -1.0]))
    report = feel_report([feel])
    assert report["notes"] == 3
    onsets = report["onsets"]
    assert onsets["zero_mae_ms"] == pytest.approx(1000 * (0.01 + 0.02 + 0.005) / 3, abs=0.01)
    assert onsets["mae_ms"] == pytest.approx(1000 * (0.005 + 0.015 + 0.01) / 3, abs=0.01)
    assert onsets["model_sd_ms"] == 0.0
    played, model = report["chords"]["played"], report["chords"]["model"]
    assert (played["chords"], played["spread_ms"], played["lead_ms"]) == (1, 25.0, 20.0)
    assert (model["spread_ms"], model["lead_ms"]) == (0.0, 0.0)
    lengths = report["lengths"]
    assert (lengths["notes"], lengths["mae"], lengths["written_mae"]) == (3, 0.667, 0.333)
    assert (lengths["played_median"], lengths["model_median"]) == (1.0, 0.5)
