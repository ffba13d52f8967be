"""The centre record: what a note-level style's due notes are centred on, live."""

import gc
import weakref

import numpy as np

from humanizer.daemon.centres import CENTRE_REACH, CentreRecord
from humanizer.daemon.levels import TRIM_EVERY
from humanizer.models import load


class Style:
    """Stands for an engine: the record only tells styles apart (and holds them weakly)."""


def test_notes_come_back_sorted_by_start_channel_order_within_a_start():
    record, style = CentreRecord(), Style()
    for channel, start, value in [(1, 0.0, -3.0), (0, 0.5, 2.0), (1, 0.5, 4.0),
                                  (0, 1.0, -1.5)]:
        record.add(style, channel, start, value)
    earlier = record.earlier(style, [0, 1], since=0.5)
    assert earlier.times.tolist() == [0.5, 0.5, 1.0]
    assert earlier.owners.tolist() == [0, 1, 0]
    assert earlier.values.tolist() == [2.0, 4.0, -1.5]
    assert record.earlier(style, [1], since=0.0).values.tolist() == [-3.0, 4.0]
    assert len(record.earlier(style, [5], since=0.0).times) == 0


def test_a_channel_another_style_predicts_starts_afresh():
    record, old, new = CentreRecord(), Style(), Style()
    record.add(old, 0, 0.0, 5.0)
    record.add(old, 1, 0.0, 6.0)
    assert len(record.earlier(new, [0, 1], since=0.0).times) == 0  # not the new style's
    record.add(new, 0, 1.0, -2.0)
    assert record.earlier(new, [0, 1], since=0.0).values.tolist() == [-2.0]
    assert record.earlier(old, [0, 1], since=0.0).values.tolist() == [6.0]  # channel 1


def test_a_swapped_out_style_is_not_held_and_a_new_one_never_gets_its_notes():
    record, engine = CentreRecord(), load("piano")
    record.add(engine, 0, 0.0, 5.0)
    held = weakref.ref(engine)
    del engine  # the daemon let the model go: nothing here keeps it
    gc.collect()
    assert held() is None
    assert len(record.earlier(load("piano"), [0], since=0.0).times) == 0


def test_a_note_predicted_out_of_order_is_kept_in_order():
    record, style = CentreRecord(), Style()
    for start, value in [(0.0, 1.0), (2.0, 3.0), (1.0, 2.0)]:
        record.add(style, 0, start, value)
    earlier = record.earlier(style, [0], since=0.0)
    assert earlier.times.tolist() == [0.0, 1.0, 2.0]
    assert earlier.values.tolist() == [1.0, 2.0, 3.0]


def test_it_keeps_a_centres_reach_before_the_newest_note_and_no_more_than_a_trim_beyond():
    record, style = CentreRecord(), Style()
    rate, total = 50, int((CENTRE_REACH + 100) * 50)
    for k in range(total):
        record.add(style, 0, k / rate, float(k))
    starts = record.earlier(style, [0], since=-1.0).times
    assert starts[0] <= (total - 1) / rate - CENTRE_REACH
    assert record.count() <= CENTRE_REACH * rate + TRIM_EVERY + 1
    assert np.all(np.diff(starts) > 0)


def test_copies_outlive_the_record_and_clear_forgets_all():
    record, style = CentreRecord(), Style()
    record.add(style, 0, 0.0, 1.0)
    copy = record.earlier(style, [0], since=0.0)
    for k in range(1, 5000):
        record.add(style, 0, k * 0.1, 1.0)
    assert copy.times.tolist() == [0.0]
    record.clear()
    assert record.count() == 0 and len(record.earlier(style, [0], since=0.0).times) == 0
