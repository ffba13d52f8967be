"""Does it pass for a player? The classifier tells flat from played, and cannot tell a
copy of the players from the players."""

import numpy as np
import pytest

from humanizer.realism import HOP, WINDOW, accuracy, windows

pytest.importorskip("sklearn")


def played(seed: int, count: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.choice([0.25, 0.5], count))
    pitches = rng.integers(48, 84, count)
    velocities = np.clip(70 + 12 * np.sin(times) + rng.normal(0, 8, count), 1, 127)
    return velocities, pitches, times


def test_windows_are_the_notes_against_their_own_mean_in_time_order():
    velocities, pitches, times = played(0, 40)
    found = windows(velocities[::-1], pitches[::-1], times[::-1])  # any order in
    assert found.shape == ((40 - WINDOW) // HOP + 1, 3 * WINDOW - 1)
    first = velocities[:WINDOW]
    assert found[0, :WINDOW] == pytest.approx(first - first.mean())
    assert found[0, 2 * WINDOW:] == pytest.approx(np.log(np.diff(times[:WINDOW]) + 1e-3))


def test_flat_parts_are_told_from_players_and_a_copy_of_them_is_not():
    parts = [played(seed) for seed in range(6)]
    truth = [p[0] for p in parts]
    pitches, times = [p[1] for p in parts], [p[2] for p in parts]
    flat = [np.full(len(t), np.rint(t.mean())) for t in truth]
    assert accuracy(truth, flat, pitches, times) > 0.95
    other_players = [played(seed + 100)[0] for seed in range(6)]  # the same kind of playing
    assert 0.3 < accuracy(truth, other_players, pitches, times) < 0.7
