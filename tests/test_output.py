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


def test_a_channel_of_its_own_strength_blends_only_its_notes():
    settings = OutputSettings(strength=1.0, channel_strengths=((1, 0.0), (2, 0.5)))
    assert settings.strengths(np.array([0, 1, 2, 1])).tolist() == [1.0, 0.0, 0.5, 0.0]
    assert settings.strengths(None) == 1.0  # channels unknown: the one strength
    inputs = np.full(4, 64.0)
    out = output.velocities(inputs, inputs, np.full(4, 10.0), np.full(4, 12.0), settings,
                            channels=np.array([0, 1, 2, 3]))
    assert out.tolist() == [74, 64, 69, 74]


def test_an_accent_drawn_at_the_top_stays_there_and_a_loud_part_still_varies():
    """Issue 34: an accent drawn at 127, well above its part's level, plays at 120 or more
    whatever the deviation; a part drawn at 127 as a whole is still shaped below it."""
    inputs = np.array([127.0, 127.0, 100.0, 127.0])
    levels = np.array([100.0, 100.0, 100.0, 127.0])
    out = output.velocities(inputs, levels, np.array([-30.0, 30.0, -30.0, -10.0]),
                            np.full(4, 12.0), OutputSettings())
    assert out[0] == 120 and out[1] > 120  # accents: floored, or as shaped above it
    assert out[2] < 80 and out[3] < 115  # not accents: the deviation plays


def test_in_the_middle_a_deviation_is_what_the_model_said():
    out = play(64, np.array([-3.0, 0.0, 2.0, 5.0]))
    assert out.tolist() == [61, 64, 66, 69]


def test_towards_the_top_deviations_bend_in_order_and_only_the_far_ones_sit_on_127():
    loud = play(115, np.array([-20.0, -10.0, 0.0, 4.0, 8.0, 12.0, 30.0]))
    assert loud.tolist() == sorted(loud.tolist())  # still in the model's order
    assert loud[-2] < 127 and loud[-1] == 127  # 12 over 115 bends below 127, 30 reaches it
    assert loud[-2] - loud[2] < 12  # bent: less than asked


def test_the_curve_is_the_identity_in_the_middle_and_meets_the_limits_flat():
    values = np.array([-50.0, -7.0, 9.0, 64.0, 119.0, 135.0, 200.0])
    assert output.knee(values).tolist() == [1.0, 1.0, 9.0, 64.0, 119.0, 127.0, 127.0]
    near = output.knee(np.array([134.9, 135.0, -6.9, -7.0]))
    assert near[0] < near[1] == 127.0 and near[2] > near[3] == 1.0


@pytest.mark.parametrize("level", [20, 30, 40, 64, 80, 100, 110])
@pytest.mark.parametrize("spread,at_limits", [(8.0, 0.01), (15.0, 0.1), (25.0, 0.3)])
def test_a_flat_part_keeps_its_mean_and_few_notes_on_the_limits(level, spread, at_limits):
    out = play(level, human_deviations(spread))
    assert abs(out.mean() - level) <= 2.0
    assert np.mean(out == 127) <= at_limits and np.mean(out == 1) <= at_limits


@pytest.mark.parametrize("level", [110, 119, 127])
def test_a_part_at_the_top_is_shaped_nearly_as_audibly_as_one_at_64(level):
    """Issue 34, item 4: its mean moves inward by at most 8, its loudest notes reach 127,
    at most a quarter of its notes sit on 127. With 8 steps between a mean at 119 and 127
    and 2 spreads kept under the knee's end, 0.64 of the spread at 64 is what fits."""
    deviations = human_deviations(10.0)
    middle = play(64, deviations)
    out = play(level, deviations)
    assert out.std() >= 0.6 * middle.std()
    assert abs(out.mean() - level) <= 8.1  # 8, and the rounding to whole velocities
    assert np.mean(out == 127) <= 0.25 and out.max() == 127


@pytest.mark.parametrize("level", [1, 5, 12, 20])
def test_a_part_at_the_bottom_is_shaped_audibly_and_its_softest_stay_above_1(level):
    """Issue 34, item 4, at the quiet end: a player's soft notes near their level, as a
    soft part's are - audible shape, and almost nothing on 1."""
    out = play(level, human_deviations(10.0))
    assert out.std() >= 3.0
    assert abs(out.mean() - level) <= 8.1
    assert np.mean(out == 1) <= 0.05


def test_a_velocity_range_scales_the_dynamics_instead_of_clipping_them():
    deviations = human_deviations(20.0, 200)
    full = play(100, deviations)
    capped = play(100, deviations, velocity_max=100)
    assert capped.max() <= 100
    assert np.mean(capped == 100) <= 0.05  # as few as on 127 at full range
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


def test_stretches_are_the_articulation_share_of_a_length_head_only():
    ratios = np.array([-1.0, 0.5, np.nan])
    assert output.stretches(ratios, OutputSettings(articulation=0.5), True).tolist() == \
        [-0.5, 0.25, 0.0]
    assert output.stretches(ratios, OutputSettings(articulation=1.0), False).tolist() == \
        [0.0] * 3
    assert output.stretches(ratios, OutputSettings(), True).tolist() == [0.0] * 3


def test_a_length_change_stays_within_its_reach_and_before_the_next_note_of_its_key():
    assert output.length_change(1.0, 1.4, None, -1.0, 0.25) == pytest.approx(-0.2)
    assert output.length_change(1.0, 3.0, None, -1.0, 0.25) == pytest.approx(-0.25)
    assert output.length_change(1.0, 1.1, None, 1.0, 0.25) == pytest.approx(0.1)
    assert output.length_change(1.0, 1.1, 1.15, 1.0, 0.25) == pytest.approx(0.05)
    assert output.length_change(1.0, 1.2, 1.1, 1.0, 0.25) == 0.0  # overlaps it as drawn
    assert output.length_change(1.0, 1.0, None, -1.0, 0.25) == 0.0
    assert output.length_reach(None) == output.LENGTH_REACH
    assert output.length_reach(0.15) == pytest.approx(0.1)
    assert output.length_reach(0.01) == 0.0
