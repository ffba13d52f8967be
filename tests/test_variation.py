"""Seeded variation: the same take for a seed, another for another, smooth over time."""

import numpy as np
import pytest

from humanizer.notes import Note
from humanizer.offline import Humanizer
from humanizer.output import OutputSettings, velocities
from humanizer.variation import Takes


def test_a_seed_gives_its_take_and_another_seed_another():
    times = np.arange(400) * 0.125
    first, again, other = Takes(7).draw(0, times), Takes(7).draw(0, times), Takes(8).draw(0, times)
    assert np.array_equal(first, again) and not np.allclose(first, other)
    assert not np.allclose(Takes(7).draw(1, times), first)  # each part its own stream


def test_drawn_in_pieces_as_live_or_at_once_as_offline_it_is_the_same_stream():
    times = np.arange(50) * 0.2
    whole = Takes(3).draw(2, times)
    takes = Takes(3)
    pieces = np.concatenate([takes.draw(2, times[:10]), takes.draw(2, times[10:11]),
                             takes.draw(2, times[11:])])
    assert pieces == pytest.approx(whole)


def test_it_is_standard_normal_and_smooth_over_time():
    times = np.arange(20000) * 0.05
    z = Takes(1).draw(0, times)
    assert abs(z.mean()) < 0.1 and z.std() == pytest.approx(1.0, abs=0.08)
    near = np.corrcoef(z[:-1], z[1:])[0, 1]  # 50 ms apart: the drift is shared
    far = np.corrcoef(z[:-100], z[100:])[0, 1]  # 5 s apart: independent
    assert near == pytest.approx(0.5 * np.exp(-0.05 / 0.6), abs=0.05) and abs(far) < 0.05


@pytest.mark.parametrize("gap, notes, own_share, most", [
    (0.125, 320, 0.0, 0.06),  # sixteenths for 40 s, the lean alone (before: 0.174)
    (0.5, 80, 0.5, 0.11),  # quarters, half each note's own (before: 0.153)
    (2.4, 16, 0.0, 0.10),  # a pad's 16 chords (before: 0.251)
])
def test_a_take_leans_and_comes_back_so_a_part_keeps_its_level(gap, notes, own_share, most):
    """Over 400 takes of a part, how far its mean moves (in spreads) and how much it
    varies within: the lean returns to the level within seconds, the notes vary as much."""
    times = np.arange(notes) * gap
    takes = [Takes(seed).draw(0, times, own_share) for seed in range(400)]
    assert np.std([take.mean() for take in takes]) < most
    assert 0.9 < np.mean([take.std() for take in takes]) < 1.15


def test_variation_zero_plays_the_same_as_without():
    levels, deviations = np.full(8, 70.0), np.linspace(-10, 10, 8)
    spreads, sigma = np.full(8, 6.0), np.full(8, 9.0)
    noise = Takes(0).draw(0, np.arange(8.0))
    plain = velocities(levels, levels, deviations, spreads, OutputSettings())
    assert np.array_equal(plain, velocities(levels, levels, deviations, spreads,
                                            OutputSettings(variation=0.0), sigma, noise))
    varied = velocities(levels, levels, deviations, spreads, OutputSettings(variation=1.0),
                        sigma, noise)
    assert not np.array_equal(plain, varied)


def test_a_file_takes_are_reproducible_for_a_seed(tiny_note_model):
    notes = [Note(60 + (i * 7) % 12, 80, i * 0.25, i * 0.25 + 0.2) for i in range(64)]
    take = Humanizer(str(tiny_note_model), OutputSettings(variation=1.0), seed=5)
    first = take.changes(notes)[0]
    assert take.changes(notes)[0] == first
    assert Humanizer(str(tiny_note_model), OutputSettings(variation=1.0),
                     seed=6).changes(notes)[0] != first
    flat = Humanizer(str(tiny_note_model), OutputSettings(), seed=5).changes(notes)[0]
    assert flat != first
    assert Humanizer(str(tiny_note_model), OutputSettings(), seed=6).changes(notes)[0] == flat


def test_a_style_with_no_own_share_varies_smoothly_from_note_to_note():
    """A pad's players move smoothly: with own_share 0 consecutive notes 50 ms apart draw
    nearly the same value; at the default half of the variance is each note's own."""
    import numpy as np

    from humanizer.variation import Takes

    times = np.arange(400) * 0.05
    smooth = Takes(3).draw(0, times, own_share=0.0)
    rough = Takes(3).draw(0, times)
    assert np.std(np.diff(smooth)) < 0.5 * np.std(np.diff(rough))
    # a standard normal value either way (20 s of a 0.6 s drift: some 30 independent values)
    assert 0.6 < np.std(smooth) < 1.4 and 0.8 < np.std(rough) < 1.2
