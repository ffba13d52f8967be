"""The level record: what a note-level style's input level is measured from, live."""

import numpy as np

from humanizer.daemon.level_record import RECORD_SECONDS, TRIM_EVERY, LevelRecord


def test_notes_come_back_sorted_by_start_channel_order_within_a_start():
    record = LevelRecord()
    for channel, start, key, velocity in [(1, 0.0, 60, 70), (0, 0.5, 62, 80),
                                          (1, 0.5, 64, 90), (0, 1.0, 65, 100)]:
        record.add(channel, start, key, velocity)
    starts, channels, keys, velocities = record.notes([0, 1], since=0.5)
    assert starts.tolist() == [0.5, 0.5, 1.0]
    assert channels.tolist() == [0, 1, 0]
    assert keys.tolist() == [62, 64, 65]
    assert velocities.tolist() == [80.0, 90.0, 100.0]
    assert record.notes([1], since=0.0)[3].tolist() == [70.0, 90.0]
    assert [len(column) for column in record.notes([5], since=0.0)] == [0, 0, 0, 0]


def test_the_copies_outlive_the_record_changing():
    record = LevelRecord()
    record.add(0, 0.0, 60, 70)
    starts = record.notes([0], since=0.0)[0]
    for k in range(1, 5000):  # the arrays grow and are trimmed under the copy
        record.add(0, k * 0.1, 60, 70)
    assert starts.tolist() == [0.0]


def test_it_keeps_record_seconds_after_the_newest_note_and_no_more_than_a_trim_beyond():
    record = LevelRecord()
    rate = 50  # notes a second
    for k in range(int((RECORD_SECONDS + 100) * rate)):
        record.add(0, k / rate, 60, 64)
    newest = (int((RECORD_SECONDS + 100) * rate) - 1) / rate
    starts = record.notes([0], since=-1.0)[0]
    assert starts[0] <= newest - RECORD_SECONDS  # everything a style may ask is there
    assert record.count() <= RECORD_SECONDS * rate + TRIM_EVERY + 1


def test_starts_never_decrease_and_clear_forgets_all():
    record = LevelRecord()
    record.add(0, 2.0, 60, 64)
    record.add(0, 1.5, 61, 64)  # cannot happen (arrivals are in order); kept sorted anyway
    assert np.all(np.diff(record.notes([0], since=0.0)[0]) >= 0)
    record.clear()
    assert record.count() == 0
