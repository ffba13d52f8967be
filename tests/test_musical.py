"""eval's musical checks: the top of a chord, the accents of the bar, the consensus."""

import gzip

import numpy as np
import pytest

from humanizer.evaluation import Comparison
from humanizer.meter import Meter
from humanizer.musical import accent_profile, consensus, top_note_agreement, top_notes


def test_the_top_note_is_judged_against_the_rest_of_its_chord():
    times = np.array([0.0, 0.0, 0.01, 1.0, 1.0, 2.0, 2.0])
    pitches = np.array([48, 55, 72, 50, 62, 40, 41])
    true = np.array([50, 50, 80, 60, 50, 40, 40.0])  # up, down, even (not counted)
    model = np.array([60, 60, 70, 55, 55, 1, 99.0])  # up (agrees), even (a half)
    assert top_note_agreement(times, pitches, true, model) == (1.5, 2)
    result = Comparison(true, model, None, np.zeros(7), pitches, times, "x")
    assert top_notes([result]) == {"chords": 2, "model_agrees": 75.0}


def test_the_accent_profile_is_per_place_in_the_bar():
    positions = np.array([0, 0.5, 1, 2, 3, 0, 1, 2, 3.0])
    meter = Meter(positions % 1, positions, np.full(9, 4.0), np.ones(9))
    true = np.array([90, 60, 70, 80, 70, 90, 70, 80, 70.0])
    result = Comparison(true, true - 5, None, np.zeros(9), np.zeros(9), positions, "x", meter)
    profile = accent_profile([result])
    mean = true.mean()
    assert list(profile) == ["1", "1+", "2", "3", "4"]
    assert profile["1"] == {"played": round(90 - mean, 2), "model": round(90 - mean, 2)}
    assert accent_profile([result._replace(meter=None)]) == {}


def match_file(folder, name, velocities):
    """A performance of a 4-note score (quarters, 1 s apart) with these velocities."""
    lines = ["info(matchFileVersion,1.0.0).", "info(midiClockUnits,480).",
             "info(midiClockRate,500000).", "scoreprop(timeSignature,4/4,1:1,0,0.0000)."]
    for i, v in enumerate(velocities):
        lines.append(f"snote(n{i},[C,n],4,1:{i + 1},0,1/4,{i}.0000,{i + 1}.0000,[])-"
                     f"note(n{i},{60 + i},{i * 960},{i * 960 + 400},{v},0,0).")
    folder.mkdir(exist_ok=True)
    with gzip.open(folder / f"{name}.match.gz", "wt") as file:
        file.write("\n".join(lines) + "\n")
    return folder / f"{name}.mid"


def test_each_performance_meets_the_other_players_on_the_same_notes(tmp_path):
    piece = tmp_path / "piece"
    a = match_file(piece, "a", [80, 60, 70, 50])
    b = match_file(piece, "b", [90, 70, 80, 60])  # the same shape, 10 louder
    c = match_file(piece, "c", [60, 80, 50, 70])  # the opposite shape
    alone = match_file(tmp_path / "other", "d", [10, 20, 30, 40])
    found = consensus([a, b, c, alone])
    assert found["performances"] == 3  # a piece played once has no consensus
    # a: mean 65; b's deviations +15 -5 +5 -15, c's -5 +15 -15 +5: mean +5 +5 -5 -5
    assert found["consensus"]["mae"] == pytest.approx(
        np.mean([abs(80 - 70), abs(60 - 70), abs(70 - 60), abs(50 - 60),  # a
                 abs(90 - 80), abs(70 - 80), abs(80 - 70), abs(60 - 70),  # b (by a, c)
                 abs(60 - 80), abs(80 - 60), abs(50 - 70), abs(70 - 50)]), abs=1e-3)
