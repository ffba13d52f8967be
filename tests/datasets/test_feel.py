"""A player's feel against the written part: the tempo out, the push and pull kept."""

import numpy as np
import pytest
from helpers import ASAP, DATA

from humanizer.datasets import feel, wjd
from humanizer.datasets.catalog import kind_of, performances
from humanizer.datasets.performance import load_daw_case

WJD = DATA / "wjd"


def test_the_tempo_is_taken_out_and_the_push_and_pull_kept():
    """Eighths under a slow ritardando, every off-beat played 20 ms late and one note held
    300 ms (a fermata): the ritardando leaves no offset, the off-beats stay 20 ms behind
    the beats (at the written tempo), and the fermata is no feel."""
    quarters = np.arange(0, 64, 0.5)
    performed = 0.5 * quarters + 0.0005 * quarters**2 + np.where(quarters % 1, 0.02, 0.0)
    performed[40] += 0.3
    offsets = feel.offsets_from_beat(quarters, performed, 0.5)
    assert np.isnan(offsets[40])
    known = ~np.isnan(offsets) & (np.abs(np.arange(len(quarters)) - 40) > 8)
    on, off = offsets[known & (quarters % 1 == 0)], offsets[known & (quarters % 1 > 0)]
    assert np.nanmedian(off) - np.nanmedian(on) == pytest.approx(0.02, abs=0.002)
    assert abs(np.nanmean(offsets[known])) < 0.002


def test_a_note_never_explains_itself():
    """Three notes alone have too few neighbours for a beat: unknown, not zero."""
    offsets = feel.offsets_from_beat(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0]), 0.5)
    assert np.isnan(offsets).all()


def test_length_ratios_are_log2_within_range_and_unknown_without_a_length():
    ratios = feel.length_ratios(np.array([0.1, 0.2, 0.1, 1e-9, 5.0]),
                                np.array([0.2, 0.2, 0.0, 1.0, 0.1]))
    assert ratios[:2].tolist() == [-1.0, 0.0]
    assert np.isnan(ratios[2])
    assert ratios[3:].tolist() == [feel.LENGTH_RANGE[0], feel.LENGTH_RANGE[1]]


def test_asap_performances_carry_their_pianists_feel():
    [path] = [p for p in performances(ASAP, "train") if p.name == "Denisova06M.mid"][:1]
    performance = load_daw_case(path)
    known = ~np.isnan(performance.offsets)
    assert known.mean() > 0.9
    assert 0.01 < np.nanstd(performance.offsets) < feel.OUTLIER
    assert abs(np.nanmean(performance.offsets)) < 0.005
    assert -1.0 < np.nanmedian(performance.lengths) < 0.0  # played shorter than written


def test_jazz_solos_are_lead_lines_on_the_band_s_beats_with_the_swing_taken_out():
    assert kind_of(WJD) == "wjd"
    solos = performances(WJD)
    assert len(solos) == 456
    assert {p.stem for p in performances(WJD, "test")} <= {p.stem for p in solos}
    solo = load_daw_case(solos[0])  # Art Pepper, Anthropology: swing at 219 bpm
    assert np.isnan(solo.velocities).all() and np.isnan(solo.deviations).all()
    assert (np.diff(solo.starts) >= 0).all() and (solo.ends > solo.starts).all()
    assert solo.meter.known.all()
    assert (np.abs(solo.offsets[~np.isnan(solo.offsets)]) <= feel.OUTLIER).all()
    late = np.nanmedian(wjd.slot_centred(np.array([0.0, 0.06, 0.01, 0.07]),
                                         np.array([2, 2, 2, 2]), np.array([1, 2, 1, 2])))
    assert late == pytest.approx(0.0)  # swung eighths, 60 ms late, come out straight
    assert np.mean(~np.isnan(solo.lengths)) > 0.9
