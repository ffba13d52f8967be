"""Annotated beats: the meter of a part played in its own time (ASAP, POP909)."""

import json

import numpy as np
import pytest
from helpers import ASAP, run

from humanizer.datasets.beats import annotations_of, meter_from_beats, read_annotations

PERFORMANCE = ASAP / "Bach" / "Fugue" / "bwv_846" / "Shi05M.mid"


def test_asap_annotations_give_beats_and_downbeats():
    beats, downbeats = read_annotations(annotations_of(PERFORMANCE))
    lines = annotations_of(PERFORMANCE).read_text().splitlines()
    assert len(beats) == len(lines) and np.all(np.diff(beats) > 0)
    assert downbeats.tolist() == [line.split("\t")[2].startswith("db") for line in lines]
    meter = meter_from_beats(beats[downbeats][:3], beats, downbeats)  # notes on downbeats
    assert meter.position.tolist() == [0, 0, 0] and meter.beats[0] == 4


def test_eval_measures_the_accent_profile_of_a_rubato_performance(capsys):
    """Played in its own time, the performance's meter comes from its annotated beats
    (for the report; the style is not given them)."""
    code, out, err = run(capsys, "eval", PERFORMANCE, "--style", "piano", "--json")
    assert code == 0, err
    profile = json.loads(out)["accent_profile"]
    assert set(profile) == {"1", "1+", "2", "2+", "3", "3+", "4", "4+"}
    assert all(set(row) == {"played", "model"} for row in profile.values())
    assert np.mean([row["played"] for row in profile.values()]) == pytest.approx(0, abs=1.5)
