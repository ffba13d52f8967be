"""The centre record: what a note-level style's due notes are centred on, live."""

import gc
import weakref

from humanizer.centres import Centre, running_means
from humanizer.daemon.centres import CentreRecord
from humanizer.models import load


class Style:
    """Stands for an engine: the record only tells styles apart (and holds them weakly)."""


def test_a_channel_moves_on_note_by_note_as_the_offline_centre_does():
    record, style = CentreRecord(), Style()
    notes = [(0, 0.0, -3.0, 0.01), (1, 0.5, 4.0, 0.0), (0, 0.5, 2.0, -0.02),
             (0, 1.0, -1.5, 0.005)]
    for channel, start, value, offset in notes:
        record.add(style, channel, start, value, offset)
    _, _, offline = running_means([note[1] for note in notes], [note[0] for note in notes],
                                  [note[2] for note in notes], [note[3] for note in notes], {})
    assert record.earlier(style, [0, 1]) == offline
    assert record.earlier(style, [1]) == {1: Centre(0.5, 1.0, 4.0, 0.0, 0.5)}
    assert record.earlier(style, [5]) == {}


def test_a_channel_another_style_predicts_starts_afresh():
    record, old, new = CentreRecord(), Style(), Style()
    record.add(old, 0, 0.0, 5.0, 0.0)
    record.add(old, 1, 0.0, 6.0, 0.0)
    assert record.earlier(new, [0, 1]) == {}  # not the new style's
    record.add(new, 0, 1.0, -2.0, 0.0)
    assert record.earlier(new, [0, 1]) == {0: Centre(1.0, 1.0, -2.0, 0.0, 1.0)}
    assert record.earlier(old, [0, 1]) == {1: Centre(0.0, 1.0, 6.0, 0.0, 0.0)}


def test_a_swapped_out_style_is_not_held_and_a_new_one_never_gets_its_notes():
    record, engine = CentreRecord(), load("piano")
    record.add(engine, 0, 0.0, 5.0, 0.0)
    held = weakref.ref(engine)
    del engine  # the daemon let the model go: nothing here keeps it
    gc.collect()
    assert held() is None
    assert record.earlier(load("piano"), [0]) == {}


def test_clear_forgets_all():
    record, style = CentreRecord(), Style()
    record.add(style, 0, 0.0, 1.0, 0.0)
    record.clear()
    assert record.earlier(style, [0]) == {}


def test_an_inference_adds_its_notes_in_order_and_leaves_out_what_is_not_finite():
    import numpy as np

    from humanizer.notes import Note

    record, style = CentreRecord(), Style()
    notes = [Note(60, 70, 0.0, 0.5, 0), Note(64, 70, 0.0, 0.5, 1), Note(62, 70, 0.5, 1.0, 0),
             Note(65, 70, 1.0, 1.5, 1)]
    record.add_all(style, notes, np.array([2.0, float("nan"), -1.0, 3.0]),
                   np.array([0.01, 0.0, 0.02, float("inf")]))
    expected = Centre().after(0.0, 2.0, 0.01).after(0.5, -1.0, 0.02)
    assert record.earlier(style, [0, 1]) == {0: expected, 1: Centre()}  # 1: nothing counted
