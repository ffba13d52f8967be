"""ASAP score/performance alignment: the DAW case for training and evaluation."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import ASAP, GROOVE

from humanizer.datasets import aligned, catalog, performance
from humanizer.errors import HumanizerError
from humanizer.notes import Note

FUGUE = ASAP / "Bach" / "Fugue" / "bwv_848"


def test_warp_maps_beats_onto_beats_and_interpolates_between():
    score = np.array([1.0, 1.5, 2.0, 2.5])
    performed = np.array([0.8, 1.4, 2.1, 2.6])
    times = np.array([1.0, 1.25, 2.5, 0.5, 3.0])
    warped = aligned.warp(times, score, performed)
    assert np.allclose(warped[:3], [0.8, 1.1, 2.6])
    assert np.isclose(warped[3], 0.8 - 0.5 * 1.2)  # first interval's tempo before beat 1
    assert np.isclose(warped[4], 2.6 + 0.5 * 1.0)  # last interval's tempo after the end


def test_match_takes_the_nearest_same_pitch_onset_once():
    score = [Note(60, 80, 1.0, 1.5), Note(60, 80, 1.1, 1.5), Note(62, 80, 2.0, 2.5)]
    performed = [Note(60, 50, 1.04, 1.5), Note(62, 70, 2.5, 2.8)]
    assert aligned.match(score, performed) == [0, None, None]


def test_asap_performance_aligns_to_its_score():
    pair = aligned.align_performance(FUGUE / "Lee01M.mid")
    assert pair.match_rate > 0.9
    assert len(pair.score) == len(pair.velocities) == len(pair.offsets) > 1000
    assert np.median(np.abs(pair.offsets)) < 0.03  # within tens of milliseconds
    assert {n.velocity for n in pair.score} == {80}  # the score's flat velocity
    assert pair.velocities.std() > 5  # the pianist's dynamics


def test_score_input_needs_the_asap_files(tmp_path):
    lonely = tmp_path / "performance.mid"
    lonely.write_bytes((FUGUE / "Lee01M.mid").read_bytes())
    with pytest.raises(HumanizerError, match="midi_score.mid"):
        aligned.align_performance(lonely)


def test_the_daw_case_is_the_aligned_score_beside_asap_else_the_grid():
    asap_pair = performance.score_pair(FUGUE / "Lee01M.mid")
    assert asap_pair.match_rate < 1.0 and {n.velocity for n in asap_pair.score} == {80}
    groove_pair = performance.score_pair(catalog.performances(GROOVE, "test")[0])
    assert groove_pair.match_rate == 1.0  # every hit has its grid line


def test_a_performance_loads_as_played_or_as_its_daw_case():
    played = performance.load_performance(FUGUE / "Lee01M.mid")
    pair = performance.load_pair(FUGUE / "Lee01M.mid")
    assert played.offsets is None and len(played.deviations) == len(played.starts)
    assert pair.offsets is not None and len(pair.offsets) == len(pair.starts) < len(played.starts)


def test_the_match_report_lists_every_performance_and_what_is_skipped(tmp_path, capsys):
    """`python -m humanizer.datasets.aligned ASAP`: per performance its match rate, kept
    or skipped, and a summary - on a copy of ASAP's index with one piece."""
    lines = (ASAP / "metadata.csv").read_text().splitlines()
    (tmp_path / "metadata.csv").write_text(
        "\n".join([lines[0]] + [line for line in lines if "bwv_848" in line]) + "\n")
    (tmp_path / "Bach").symlink_to(ASAP / "Bach")
    assert aligned.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    performances = [line for line in lines if "bwv_848" in line]
    assert len(out) == len(performances) + 1
    assert all(("kept" in line or "SKIPPED" in line) and "%" in line for line in out[:-1])
    assert out[-1].endswith("%") and f"of {len(performances)} performances kept" in out[-1]


def test_the_match_report_runs_as_a_module_and_refuses_a_folder_that_is_not_asap(tmp_path):
    result = subprocess.run([sys.executable, "-m", "humanizer.datasets.aligned", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not an ASAP folder" in result.stderr
