"""The centre record: what a note-level style's due notes are centred on, live."""

import gc
import math
import weakref

import pytest

from humanizer.centres import Centre, running_means
from humanizer.daemon.centres import CentreRecord
from humanizer.models import load


class Style:
    """Stands for an engine: the record only tells styles apart (and holds them weakly)."""


def test_a_channel_moves_on_note_by_note_as_the_offline_centre_does():
    record, style = CentreRecord(), Style()
    notes = [(0, 0.0, -3.0), (1, 0.5, 4.0), (0, 0.5, 2.0), (0, 1.0, -1.5)]
    for channel, start, value in notes:
        record.add(style, channel, start, value)
    _, offline = running_means([start for _, start, _ in notes],
                               [channel for channel, _, _ in notes],
                               [value for _, _, value in notes], {})
    assert record.earlier(style, [0, 1]) == offline
    assert record.earlier(style, [1]) == {1: Centre(0.5, 1.0, 4.0)}
    assert record.earlier(style, [5]) == {}


def test_a_channel_another_style_predicts_starts_afresh():
    record, old, new = CentreRecord(), Style(), Style()
    record.add(old, 0, 0.0, 5.0)
    record.add(old, 1, 0.0, 6.0)
    assert record.earlier(new, [0, 1]) == {}  # not the new style's
    record.add(new, 0, 1.0, -2.0)
    assert record.earlier(new, [0, 1]) == {0: Centre(1.0, 1.0, -2.0)}
    assert record.earlier(old, [0, 1]) == {1: Centre(0.0, 1.0, 6.0)}


def test_a_swapped_out_style_is_not_held_and_a_new_one_never_gets_its_notes():
    record, engine = CentreRecord(), load("piano")
    record.add(engine, 0, 0.0, 5.0)
    held = weakref.ref(engine)
    del engine  # the daemon let the model go: nothing here keeps it
    gc.collect()
    assert held() is None
    assert record.earlier(load("piano"), [0]) == {}


def test_clear_forgets_all():
    record, style = CentreRecord(), Style()
    record.add(style, 0, 0.0, 1.0)
    record.clear()
    assert record.earlier(style, [0]) == {}


def test_the_centre_weighs_a_note_less_the_longer_ago_it_was_played():
    from humanizer.centres import CENTRE_SECONDS

    centre = Centre().after(0.0, 10.0).after(CENTRE_SECONDS, 0.0)
    kept = math.exp(-1.0)  # one CENTRE_SECONDS ago
    assert centre.weight == pytest.approx(1.0 + kept)
    assert centre.mean == pytest.approx(10.0 * kept / (1.0 + kept))
    assert Centre().after(5.0, 7.0).after(4.0, 1.0) == Centre(5.0, 2.0, 8.0)  # out of order:
    # as if at the same time


def test_a_chord_is_centred_all_together_and_each_part_on_its_own():
    from humanizer.centres import CENTRE_SECONDS

    means, after = running_means([0.0, 1.0, 1.0, 1.0], [0, 0, 1, 0], [4.0, 2.0, 9.0, 0.0],
                                 {1: Centre(0.0, 1.0, -9.0)})
    kept = math.exp(-1.0 / CENTRE_SECONDS)
    chord = (4.0 * kept + 2.0 + 0.0) / (kept + 2.0)  # both of part 0's notes at 1.0 count
    other = (-9.0 * kept + 9.0) / (kept + 1.0)  # part 1 goes on from its centre
    assert means == pytest.approx([4.0, chord, other, chord])
    assert after[0].mean == pytest.approx(chord) and after[1].mean == pytest.approx(other)
