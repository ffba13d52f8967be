"""The one output step: soft knee, level kept, range scaled, shifts capped."""

import numpy as np
import pytest

from humanizer import output
from humanizer.output import MAX_SHIFT, OutputSettings


def play(level: float, deviations: np.ndarray, **settings) -> np.ndarray:
    flat = np.full(len(deviations), float(level))
    spread = np.full(len(deviations), deviations.std())
    return output.velocities(flat, flat, deviations, spread, OutputSettings(**settings))


def human_deviations(spread: float, count: int = 5000) -> np.ndarray:
    deviations = np.random.default_rng(7).normal(0.0, spread, count)
    return deviations - deviations.mean()


def test_strength_zero_gives_the_input_exactly():
    inputs = np.array([1.0, 40.0, 64.0, 127.0])
    out = output.velocities(inputs, inputs, np.array([-90.0, 30.0, 5.0, 40.0]), np.full(4, 12.0),
                            OutputSettings(strength=0.0))
    assert out.tolist() == [1, 40, 64, 127]


def test_in_the_middle_a_deviation_is_what_the_model_said():
    out = play(64, np.array([-3.0, 0.0, 2.0, 5.0]))
    assert out.tolist() == [61, 64, 66, 69]


def test_towards_the_top_deviations_shrink_and_never_reach_a_wall():
    loud = play(115, np.array([-40.0, -20.0, 20.0, 40.0, 80.0]))
    assert loud.tolist() == sorted(loud.tolist())  # still in the model's order
    assert loud.max() < 127
    assert 115 - loud[0] < 40 and loud[3] - 115 < 12


@pytest.mark.parametrize("level", [20, 30, 40, 64, 80, 100, 110, 120])
@pytest.mark.parametrize("spread", [8.0, 15.0, 25.0])
def test_a_flat_part_keeps_its_mean_and_stays_off_the_limits(level, spread):
    out = play(level, human_deviations(spread))
    assert abs(out.mean() - level) <= 2.0
    assert np.mean(out == 127) <= 0.01 and np.mean(out == 1) <= 0.01


def test_a_velocity_range_scales_the_dynamics_instead_of_clipping_them():
    deviations = human_deviations(20.0, 200)
    full = play(100, deviations)
    capped = play(100, deviations, velocity_max=100)
    assert capped.max() <= 100
    assert np.mean(capped == 100) <= 0.01
    assert np.corrcoef(full, capped)[0, 1] > 0.99
    assert output.in_range(np.array([1.0, 64.0, 127.0]), 20, 100).tolist() == [20, 60, 100]


def test_a_prediction_that_is_not_a_number_falls_back_to_the_input():
    inputs = np.array([70.0, 90.0])
    out = output.velocities(inputs, inputs, np.array([np.nan, np.inf]), np.array([np.nan, 5.0]),
                            OutputSettings())
    assert out.tolist() == [70, 90]


def test_shifts_are_the_timing_amount_of_the_offsets_plus_the_feel_within_the_cap():
    offsets = np.array([-0.2, -0.01, 0.0, 0.02, np.nan])
    settings = OutputSettings(timing=0.5, feel=0.005)
    assert output.shifts(offsets, settings, has_timing=True).tolist() == pytest.approx(
        [-MAX_SHIFT, 0.0, 0.005, 0.015, 0.005])
    assert output.shifts(offsets, settings, has_timing=False).tolist() == [0.0] * 5
    assert output.shifts(offsets, OutputSettings(feel=0.01), has_timing=True).tolist() == \
        [0.0] * 5
