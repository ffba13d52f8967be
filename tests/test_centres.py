"""The running centre a lookahead window's due notes are centred on (humanizer.centres)."""

import math

import pytest

from humanizer.centres import (
    CENTRE_SECONDS,
    OPENING_SECONDS,
    Centre,
    kept,
    running_means,
)


def test_the_centre_weighs_a_note_less_the_longer_ago_it_was_played():
    late = 10 * CENTRE_SECONDS  # two minutes in and on, the memory is CENTRE_SECONDS
    centre = Centre(start=0.0).after(0.0, 0.0, 0.0).after(late, 10.0, 0.0).after(
        late + CENTRE_SECONDS, 0.0, 0.0)
    assert kept(0.0, late, late + CENTRE_SECONDS) == pytest.approx(math.exp(-1.0))
    left = math.exp(-1.0) * kept(0.0, 0.0, late)
    assert centre.weight == pytest.approx(1.0 + math.exp(-1.0) + left)
    assert centre.mean == pytest.approx(10.0 * math.exp(-1.0) / centre.weight)
    # out of order: as if at the same time
    assert Centre().after(5.0, 7.0, 0.0).after(4.0, 1.0, 0.0) == Centre(5.0, 2.0, 8.0, 0.0, 5.0)


def test_the_memory_is_as_long_as_the_part_has_played():
    """A part's opening is centred on itself, then forgotten as the part plays on: a note
    of its first OPENING_SECONDS weighs OPENING_SECONDS / age, not exp(-age / 128 s)."""
    assert kept(0.0, 0.0, OPENING_SECONDS) == pytest.approx(math.exp(-1.0))
    assert kept(0.0, OPENING_SECONDS, 40.0) == pytest.approx(OPENING_SECONDS / 40.0)
    assert kept(3.0, 3.0 + OPENING_SECONDS, 43.0) == kept(0.0, OPENING_SECONDS, 40.0)
    assert kept(0.0, 0.0, 40.0) == pytest.approx(math.exp(-1.0) * OPENING_SECONDS / 40.0)
    assert kept(0.0, 5.0, 5.0) == 1.0 and kept(0.0, 5.0, 4.0) == 1.0  # no time: all kept


def test_a_chord_is_centred_all_together_and_each_part_on_its_own():
    earlier = Centre(0.0, 1.0, -9.0, 0.0, -100.0)  # part 1 began 100 s before
    means, _, after = running_means([0.0, 1.0, 1.0, 1.0], [0, 0, 1, 0], [4.0, 2.0, 9.0, 0.0],
                                    [0.0] * 4, {1: earlier})
    opening = kept(0.0, 0.0, 1.0)  # part 0 began at 0
    chord = (4.0 * opening + 2.0 + 0.0) / (opening + 2.0)  # both of part 0's notes at 1.0
    later = kept(-100.0, 0.0, 1.0)  # part 1 goes on from its centre
    other = (-9.0 * later + 9.0) / (later + 1.0)
    assert opening == pytest.approx(math.exp(-1.0 / OPENING_SECONDS))
    assert later == pytest.approx(100.0 / 101.0)
    assert means == pytest.approx([4.0, chord, other, chord])
    assert after[0].mean == pytest.approx(chord) and after[1].mean == pytest.approx(other)


def test_a_part_with_no_notes_starts_at_its_first_note_wherever_the_clock_is():
    assert Centre().after(-3.0, 5.0, 0.0) == Centre(-3.0, 1.0, 5.0, 0.0, -3.0)
    assert Centre().after(-3.0, 5.0, 0.0).after(-2.0, 1.0, 0.0).time == -2.0


def test_onset_offsets_are_weighed_as_the_deviations_are():
    centre = Centre().after(0.0, 10.0, 0.02).after(CENTRE_SECONDS, 0.0, -0.01)
    left = kept(0.0, 0.0, CENTRE_SECONDS)
    assert centre.offset_mean == pytest.approx((0.02 * left - 0.01) / (1.0 + left))
    assert centre.mean == pytest.approx(10.0 * left / (1.0 + left))
    means, offsets, _ = running_means([0.0, 0.5, 0.5], [0, 1, 0], [1.0, 2.0, 3.0],
                                      [0.01, -0.02, 0.03], {})
    left = kept(0.0, 0.0, 0.5)
    both = (0.01 * left + 0.03) / (left + 1.0)
    assert offsets == pytest.approx([0.01, -0.02, both])  # each part up to its own note
    assert means[1] == 2.0


def test_a_note_with_no_finite_prediction_leaves_its_part_centred_as_without_it():
    """It plays as drawn; the notes after it are centred as if it were not there, the
    same whether they come in one call (offline) or note by note (live)."""
    nan = float("nan")
    means, offsets, after = running_means([0.0, 1.0, 2.0], [0, 0, 0], [4.0, 2.0, nan],
                                          [0.01, nan, 0.0], {})
    assert means[:2] == pytest.approx([4.0, 4.0]) and offsets[:2] == pytest.approx([0.01] * 2)
    assert after[0] == Centre(0.0, 1.0, 4.0, 0.01)
    assert math.isnan(Centre().after(0.0, nan, 0.0).mean)  # nothing to centre on yet
