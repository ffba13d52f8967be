"""Levels: the one Gaussian mean in time, and what is built on it."""

import numpy as np
import pytest

from humanizer import levels


def test_local_mean_of_a_constant_is_that_constant():
    times = np.sort(np.random.default_rng(0).uniform(0, 60, 500))
    level = levels.local_mean(times, np.full(500, 70.0), times)
    assert np.allclose(level, 70.0)


def test_local_mean_follows_a_slow_crescendo_but_smooths_accents():
    times = np.arange(0, 60, 0.25)
    crescendo = 40 + times  # 40 .. 100 over a minute
    accents = np.where(np.arange(len(times)) % 4 == 0, 12.0, -4.0)
    level = levels.local_mean(times, crescendo + accents, times)
    middle = slice(40, -40)
    assert np.abs(level[middle] - crescendo[middle]).max() < 1.0


def test_deviations_are_relative_to_the_level():
    times = np.arange(80) * 0.25
    velocities = 60 + np.where(np.arange(80) % 2, 20.0, 0.0)
    deviations = levels.deviations_of(times, velocities)
    assert abs(deviations.mean()) < 0.5
    assert np.allclose(np.abs(deviations[10:-10]), 10, atol=0.5)


def test_the_spread_is_the_standard_deviation_and_never_nan_from_rounding():
    values = np.array([1.0, 3.0, 5.0])
    assert levels.spread(np.array([values.mean()]), np.array([(values**2).mean()]))[0] \
        == pytest.approx(values.std())
    assert levels.spread(np.array([0.1]), np.array([0.01 - 1e-18]))[0] == 0.0


@pytest.mark.parametrize("count,pieces", [(0, 1), (1, 1), (5, 1), (7, 3), (64, 64),
                                          (65, 2), (1000, 7), (3, 5)])
def test_even_slices_are_the_pieces_of_array_split(count, pieces):
    expected = [(int(p[0]), int(p[-1]) + 1) for p in np.array_split(np.arange(count), pieces)
                if len(p)]
    assert [(s.start, s.stop) for s in levels.even_slices(count, pieces)] == expected


@pytest.mark.parametrize("seconds", [3.0, 16.0])
def test_window_levels_on_their_grid_are_the_exact_levels_to_a_hundredth(seconds):
    """A window's input levels are worked out on a grid and interpolated: on a dense part
    with a swell, accents and two parts, within 0.01 velocity steps of local_mean over each
    part's own notes, and the same wherever the part's clock started."""

    rng = np.random.default_rng(4)
    times = np.sort(rng.uniform(0, 120, 6000)).round(3)
    owners = rng.integers(0, 2, len(times))
    velocities = (64 + 30 * np.sin(times / 9) + rng.normal(0, 12, len(times))).round()
    at = np.flatnonzero((times > 50) & (times < 53))
    level = levels.own_levels(times, owners, velocities, times[at], owners[at],
                              velocities[at], seconds)
    for owner in (0, 1):
        mine = owners == owner
        exact = levels.local_mean(times[mine], velocities[mine], times[at][owners[at] == owner],
                                  seconds)
        assert np.abs(level[owners[at] == owner] - exact).max() < 0.01
    later = levels.own_levels(times + 1234.567, owners, velocities, times[at] + 1234.567,
                              owners[at], velocities[at], seconds)
    assert np.abs(later - level).max() < 0.01


def test_a_window_level_of_a_part_with_no_notes_given_is_its_own_velocity():
    level = levels.own_levels(np.array([0.0, 1.0]), np.array([0, 0]),
                              np.array([60.0, 70.0]), np.array([0.5]), np.array([3]),
                              np.array([99.0]), 16.0)
    assert level.tolist() == [99.0]
