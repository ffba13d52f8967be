"""The lookahead buffer: order, latency, velocities, timing shifts, panic."""

import numpy as np
import pytest
from messages import note_off, note_on

from humanizer.daemon.buffer import LookaheadBuffer
from humanizer.daemon.ports import ArrivalClock


def test_every_event_leaves_after_the_latency_in_arrival_order():
    buffer = LookaheadBuffer(latency=0.5)
    messages = [note_on(60, 90), [0xB0, 64, 127], note_off(60), [0xE0, 0, 64], [0xC0, 5]]
    for i, message in enumerate(messages):
        buffer.receive(message, 1.0 + i * 0.01)
    assert buffer.pop_due(1.499) == []
    assert [e.due for e in buffer.queue] == pytest.approx([1.5 + i * 0.01 for i in range(5)])
    out = buffer.pop_due(2.0)
    assert [m[0] for m in out] == [m[0] for m in messages]
    assert out[1:] == messages[1:]  # everything but note-ons passes unchanged
    assert buffer.counts.late == 1  # the note-on had no prediction: input velocity, late
    assert out[0] == note_on(60, 90)


def test_a_shorter_latency_never_reorders_or_loses_events():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(60, 80), 0.0)
    buffer.latency = 0.1
    buffer.receive(note_off(60), 0.05)  # would be due at 0.15, before its note-on
    buffer.receive([0xB0, 1, 2], 1.0)  # later events get the new latency
    dues = [e.due for e in buffer.queue]
    assert dues == sorted(dues)
    assert dues[1] == pytest.approx(0.5) and dues[2] == pytest.approx(1.1)
    assert [m[0] & 0xF0 for m in buffer.pop_due(10)] == [0x90, 0x80, 0xB0]


def test_arrival_times_never_go_backwards():
    buffer = LookaheadBuffer(latency=0.2)
    buffer.receive(note_on(60, 80), 1.0)
    buffer.receive(note_off(60), 0.9)
    assert buffer.queue[1].due >= buffer.queue[0].due


def test_notes_off_the_keyboard_pass_untouched_and_are_not_predicted():
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive(note_on(10, 33), 0.0)
    buffer.receive(note_on(120, 44), 0.0)
    assert buffer.next_prediction_due() is None
    assert buffer.pop_due(1.0) == [note_on(10, 33), note_on(120, 44)]
    assert buffer.counts.late == 0


def test_predicted_velocity_replaces_the_input_unless_bypassed():
    for bypass, expected in ((False, 111), (True, 70)):
        buffer = LookaheadBuffer(latency=0.1)
        buffer.receive(note_on(60, 70), 0.0)
        [event] = buffer.claim(until=1.0)
        event.velocity = 111
        assert buffer.pop_due(1.0, bypass=bypass) == [note_on(60, expected)]


def test_note_off_ends_the_earliest_open_note_of_its_pitch():
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive(note_on(60, 70), 0.0)
    buffer.receive(note_on(60, 71), 0.1)
    buffer.receive([0x90, 60, 0], 0.2)  # note-on with velocity 0 is a note-off
    first, second = buffer.heard[0]
    assert first.end == pytest.approx(0.2) and second.end > 1e6


def test_panic_drops_the_queue_and_releases_every_sounding_note():
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive(note_on(60, 70), 0.0)
    buffer.receive(note_on(35, 70, channel=9), 0.0)
    buffer.receive(note_on(62, 70), 0.5)  # still queued at panic time
    buffer.pop_due(0.2)
    assert buffer.sounding() == 2
    messages = buffer.panic()
    assert note_off(60) in messages and note_off(35, channel=9) in messages
    assert messages[:2] == [note_off(60), note_off(35, channel=9)]  # the notes first, then
    assert messages[2:] == [[0xB0 | c, number, 0] for c in range(16)  # pedal up, all
                            for number in (64, 120, 123)]  # sound off, all notes off
    assert not buffer.queue and buffer.sounding() == 0
    assert buffer.pop_due(10) == []


def test_release_sends_one_note_off_per_note_on_still_sounding():
    buffer = LookaheadBuffer(latency=0.0)
    for t in (0.0, 0.1):
        buffer.receive(note_on(64, 70), t)
    buffer.receive(note_off(64), 0.2)
    buffer.pop_due(1.0)
    assert buffer.release() == [note_off(64), [0xB0, 64, 0], [0xB0, 120, 0], [0xB0, 123, 0]]
    assert buffer.release() == [[0xB0, 64, 0], [0xB0, 120, 0], [0xB0, 123, 0]]


def test_release_lifts_the_pedal_on_every_channel_that_played():
    buffer = LookaheadBuffer(latency=0.0)
    buffer.receive([0xB1, 64, 127], 0.0)  # pedal down on channel 2
    buffer.receive(note_on(60, 70, channel=1), 0.0)
    buffer.receive([0xF8], 0.0)  # clock belongs to no channel
    buffer.pop_due(1.0)
    assert buffer.release() == [note_off(60, channel=1), [0xB1, 64, 0], [0xB1, 120, 0],
                                [0xB1, 123, 0]]


def test_arrival_clock_takes_out_the_poll_delay():
    clock = ArrivalClock()
    true_times = np.arange(20) * 0.05 + 100.0
    polls = true_times + np.where(np.arange(20) % 3 == 0, 0.004, 0.0001)  # late polls
    deltas = np.diff(true_times, prepend=true_times[0])
    estimates = [clock.arrival(d, seen) for d, seen in zip(deltas, polls)]
    assert abs(estimates[-1] - true_times[-1]) < 0.0005
    assert all(e >= t - 1e-9 for e, t in zip(estimates, true_times))


@pytest.mark.parametrize("pause", [3.0, 30.0, 300.0])
def test_the_first_note_after_a_pause_is_not_taken_for_the_idle_polls_lateness(pause):
    """The input's poll backs off to 10 ms while idle: the note after a pause is seen up
    to 10 ms late; its arrival time stays within a millisecond of the truth (the drift
    allowed over the pause let 9 ms through after 30 s)."""
    clock = ArrivalClock()
    for i in range(20):  # playing: seen within 0.1 ms
        clock.arrival(0.05 if i else 0.0, 100.0 + i * 0.05 + 0.0001)
    true = 100.0 + 19 * 0.05 + pause
    estimate = clock.arrival(pause, true + 0.009)  # seen an idle poll late
    assert true - 1e-9 <= estimate <= true + 0.0012



def placed(buffer: LookaheadBuffer, shifts: dict[int, float], velocity: int = 70) -> None:
    """Predict every note-on waiting: velocity, and the shift given for its pitch."""
    while buffer.unclaimed:
        event = buffer.unclaimed.popleft()
        buffer.place(event, velocity, shifts.get(event.note.pitch, 0.0))


def leave_times(buffer: LookaheadBuffer, until: float, bypass: bool = False):
    """(time, message) as a sender polling every millisecond would send them."""
    sent = []
    for tick in range(int(until * 1000) + 1):
        sent += [(tick / 1000, m) for m in buffer.pop_due(tick / 1000, bypass)]
    return sent


def test_timing_moves_a_note_on_and_its_note_off_and_nothing_else():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(36, 100), 0.0)
    buffer.receive([0xB0, 20, 1], 0.001)
    buffer.receive(note_on(38, 100), 0.010)
    buffer.receive(note_off(36), 0.05)
    buffer.receive(note_off(38), 0.06)
    buffer.receive([0xB0, 20, 2], 0.07)
    placed(buffer, {36: 0.02, 38: -0.03})
    sent = leave_times(buffer, 1.0)
    assert same_times(sent, [(0.48, note_on(38, 70)), (0.501, [0xB0, 20, 1]),
                             (0.52, note_on(36, 70)), (0.53, note_off(38)),
                             (0.57, note_off(36)), (0.57, [0xB0, 20, 2])])


def same_times(sent, expected) -> bool:
    """Same messages in the same order, each within the millisecond of polling."""
    assert [m for _, m in sent] == [m for _, m in expected]
    assert [t for t, _ in sent] == pytest.approx([t for t, _ in expected], abs=0.0011)
    return True


def test_timing_shifts_are_bounded_and_never_before_arrival():
    from humanizer.output import MAX_SHIFT

    buffer = LookaheadBuffer(latency=0.02)
    buffer.receive(note_on(40, 90), 0.0)  # 20 ms of latency: it can move 20 ms earlier only
    buffer.receive(note_on(41, 90), 0.0)
    placed(buffer, {40: -0.5, 41: 0.5})
    shifts = {e.message[1]: e.note.shift for e in buffer.queue}
    assert shifts == {40: pytest.approx(-0.02), 41: pytest.approx(MAX_SHIFT)}


def restruck_key():
    """A buffer holding two snare notes, the second struck as the first is released; and
    their note-on events, not yet placed."""
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(38, 90), 0.0)
    buffer.receive(note_off(38), 0.1)
    buffer.receive(note_on(38, 90), 0.1)
    buffer.receive(note_off(38), 0.2)
    first, second = buffer.unclaimed
    return buffer, first, second


def test_timing_never_starts_a_note_under_the_previous_one_on_its_key():
    buffer, first, second = restruck_key()
    buffer.place(first, 70, 0.01)
    buffer.place(second, 70, -0.03)  # would start 20 ms before the first one ends
    sent = leave_times(buffer, 1.0)
    assert [m[0] & 0xF0 for _, m in sent] == [0x90, 0x80, 0x90, 0x80]
    assert sent[1][0] <= sent[2][0] and second.note.shift == pytest.approx(0.01)


def test_a_note_not_moved_still_waits_for_the_previous_one_moved_later():
    buffer, first, second = restruck_key()
    buffer.place(first, 70, 0.03)  # its note-off now leaves at 0.63
    buffer.place(second, 70, 0.0)
    sent = leave_times(buffer, 1.0)
    assert [m[0] & 0xF0 for _, m in sent] == [0x90, 0x80, 0x90, 0x80]
    assert second.note.shift == pytest.approx(0.03)


def test_without_timing_overlapping_notes_of_a_key_stay_in_arrival_order():
    """Found by the soak: a note struck again before its previous note on the same key
    was released must not be moved to after that release (that reordered the stream)."""
    buffer = LookaheadBuffer(latency=0.5)
    messages = [(note_on(60, 90), 0.0), (note_on(60, 90), 0.1), (note_off(60), 0.13),
                (note_off(60), 0.3)]
    for message, at in messages:
        buffer.receive(message, at)
    placed(buffer, {})
    assert not buffer.moving
    assert [m for _, m in leave_times(buffer, 1.0)] == [note_on(60, 70), note_on(60, 70),
                                                       note_off(60), note_off(60)]


def test_bypass_moves_no_note_but_a_moved_note_keeps_its_length():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(36, 90), 0.0)
    buffer.receive(note_off(36), 0.1)
    buffer.receive(note_on(37, 90), 0.2)
    buffer.receive(note_off(37), 0.3)
    placed(buffer, {36: -0.03, 37: -0.03})
    sent = leave_times(buffer, 0.55)  # 36 leaves moved ...
    sent += [(t, m) for t, m in leave_times(buffer, 1.0, bypass=True) if t > 0.55]
    assert same_times(sent, [(0.47, note_on(36, 70)), (0.57, note_off(36)),  # so does its off
                             (0.7, note_on(37, 90)), (0.8, note_off(37))])  # bypass: none


def test_notes_never_placed_keep_no_chain_of_earlier_notes_alive():
    """Under overload notes are skipped, never placed: they must not each hold the one
    before them on their key (a chain through the whole session)."""
    buffer = LookaheadBuffer(latency=0.1)
    for i in range(200):
        buffer.receive(note_on(60, 90), i * 0.01)
        buffer.receive(note_off(60), i * 0.01 + 0.005)
        buffer.skip_past(i * 0.01)
        buffer.pop_due(i * 0.01)
    buffer.skip_past(10.0)
    buffer.pop_due(10.0)
    assert all(note.previous is None for note in buffer.heard[0])


def test_a_shorter_latency_glides_in_and_keeps_the_notes_apart():
    """`ctl set latency 250ms` while a part plays at 500ms: the notes heard meanwhile
    keep at least half their spacing (before, six left at once), and none is reordered."""
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(60, 80), 0.0)
    buffer.set_latency(0.25, now=0.1)
    for i in range(1, 11):
        buffer.receive(note_on(60 + i, 80), 0.1 + 0.05 * i)
    dues = np.array([e.due for e in buffer.queue])
    assert np.all(np.diff(dues[1:]) >= 0.025 - 1e-9)  # 50 ms apart as played: >= 25 ms
    assert dues[-1] == pytest.approx(0.6 + 0.25)  # the new latency reached after 0.5 s
    buffer.set_latency(1.0, now=1.0)
    buffer.receive(note_on(90, 80), 1.0)
    assert buffer.queue[-1].due == pytest.approx(2.0)  # a longer one applies at once


def test_a_flood_of_held_notes_lets_go_of_the_oldest():
    """50 000 note-ons without note-offs (a stuck controller) must not make every window
    hold them all: beyond MAX_HELD the oldest is released, as if its key came up."""
    from humanizer.daemon.buffer import MAX_HELD

    buffer = LookaheadBuffer(latency=0.1)
    for i in range(MAX_HELD + 50):
        buffer.receive(note_on(21 + i % 88, 80, channel=i % 16), i * 0.001)
    assert buffer.counts.released == 50
    assert len(buffer.held()) == MAX_HELD
    offs = [e.message for e in buffer.queue if e.message[0] & 0xF0 == 0x80]
    assert offs[:2] == [note_off(21, 0), note_off(22, 1)]  # the first two struck
    assert buffer.pop_due(10.0)[-1][0] & 0xF0 in (0x80, 0x90)
    assert buffer.sounding() == MAX_HELD


def test_a_shift_that_is_not_a_number_moves_nothing():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(36, 90), 0.0)
    [event] = buffer.claim(until=1.0)
    buffer.place(event, 80, float("nan"))
    assert event.note.shift == 0.0 and buffer.next_due() == pytest.approx(0.5)


def test_stop_drops_notes_and_moves_but_keeps_resets_and_forgets_the_take():
    buffer = LookaheadBuffer(latency=0.5)
    waiting = [note_on(60, 90), [0xB0, 7, 100], [0xB0, 64, 127], [0xE0, 0, 70], note_off(60),
               [0xB0, 64, 0], [0xB0, 123, 0], [0xB0, 121, 0], [0xF0, 0x7E, 0xF7]]
    for i, message in enumerate(waiting):
        buffer.receive(message, 1.0 + i * 0.01)
    style = type("Style", (), {})()  # (stands for an engine: the record holds it weakly)
    buffer.centres.add(style, 0, 0.5, -3.0, 0.0)  # what an earlier note was predicted
    assert buffer.stop() == 1
    assert [event.message for event in buffer.queue] == [[0xB0, 64, 0], [0xB0, 123, 0],
                                                          [0xB0, 121, 0], [0xF0, 0x7E, 0xF7]]
    assert buffer.next_prediction_due() is None and not buffer.heard
    assert buffer.levels.count() == 0 and buffer.centres.earlier(style, [0]) == {}
    assert buffer.counts.stopped == 1
    buffer.receive(note_on(62, 80), 2.0)  # the next take is heard from scratch
    assert [n.pitch for n in buffer.heard[0]] == [62]


def test_a_window_holds_the_notes_in_reach_and_those_still_sounding_from_before():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(40, 70), 0.0)  # held through the window (so is 50)
    buffer.receive(note_on(41, 70), 1.0)
    buffer.receive(note_off(41), 1.5)  # ended before the reach
    for k in range(6):
        buffer.receive(note_on(50 + k, 80, channel=k % 2), 10.0 + k)
    events = [e for e in buffer.queue if e.note is not None and e.note.start >= 14.0]
    notes, indices, _ = buffer.window([0, 1], events, reach=3.0)
    assert [n.pitch for n in notes] == [40, 50, 51, 52, 53, 54, 55]  # 41 ended
    assert [notes[i].pitch for i in indices] == [54, 55]


def test_a_note_level_window_holds_the_latest_most_before_the_earliest_due():
    """`most`: of all the channels' notes begun before the earliest onset asked for, the
    latest `most`, and none held from before the reach."""
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(40, 70), 0.0)  # held, but a note-level window does not hear it
    for k in range(8):
        buffer.receive(note_on(50 + k, 80, channel=k % 2), 10.0 + k)
    events = [e for e in buffer.queue if e.note is not None and e.note.start >= 16.0]
    notes, indices, _ = buffer.window([0, 1], events, reach=30.0, most=2)
    assert [n.pitch for n in notes] == [54, 55, 56, 57]
    assert [notes[i].pitch for i in indices] == [56, 57]


def test_what_a_player_lets_go_of_includes_the_pedal():
    """When the last source unplugs, the daemon lets go for the player: the held notes'
    note-offs and the sustain pedal up on the channels it is down on - else the released
    notes ring on under the pedal while status says nothing sounds."""
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive([0xB0, 64, 127], 0.0)  # pedal down on channel 1
    buffer.receive([0xB3, 64, 100], 0.0)  # and on channel 4
    buffer.receive(note_on(60, 80), 0.01)
    buffer.receive(note_on(40, 70, channel=3), 0.02)
    buffer.receive([0xB3, 64, 0], 0.03)  # channel 4's pedal comes up
    assert buffer.held() == [note_off(60, 0), note_off(40, 3), [0xB0, 64, 0]]
    for message in buffer.held():  # as the scheduler hands them back in
        buffer.receive(message, 0.04)
    assert buffer.held() == []


def test_a_note_that_left_late_is_not_placed_nor_counted_as_predicted():
    """Issue 36, item 7: one note was counted as both late and predicted."""
    buffer = LookaheadBuffer(latency=0.1)
    buffer.receive(note_on(60, 70), 0.0)
    [event] = buffer.claim(until=1.0)
    assert buffer.pop_due(1.0) == [note_on(60, 70)]  # the model was not ready: late
    assert buffer.counts.late == 1
    assert buffer.place(event, 111) is False and event.velocity is None
    buffer.receive(note_on(62, 70), 2.0)
    [fresh] = buffer.claim(until=3.0)
    assert buffer.place(fresh, 90) is True and buffer.pop_due(3.0) == [note_on(62, 90)]


def test_a_length_ratio_moves_the_note_off_alone_once_the_length_is_known():
    """A note placed with length ratio 2**-1 (half as long) and no shift: its note-on
    leaves when due, its note-off half its length earlier; a note placed at 2**1 is held
    longer, but never past the start of the next note on its key."""
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(60, 90), 0.0)
    buffer.receive(note_off(60), 0.2)  # 200 ms long: half is 100 ms
    buffer.receive(note_on(62, 90), 0.3)
    buffer.receive(note_off(62), 0.35)  # 50 ms long, twice is 100 ms ...
    buffer.receive(note_on(62, 90), 0.38)  # ... but the key is struck again 30 ms on
    buffer.receive(note_off(62), 0.45)
    stretches = {60: -1.0, 62: 1.0}
    while buffer.unclaimed:
        event = buffer.unclaimed.popleft()
        buffer.place(event, 70, 0.0, stretches[event.note.pitch])
    sent = leave_times(buffer, 1.5)
    assert same_times(sent, [(0.5, note_on(60, 70)), (0.6, note_off(60)),
                             (0.8, note_on(62, 70)), (0.88, note_off(62)),
                             (0.88, note_on(62, 70)), (1.02, note_off(62))])


def test_a_note_off_moves_at_most_the_reach_the_latency_allows():
    from humanizer.output import MAX_SHIFT

    buffer = LookaheadBuffer(latency=0.15)  # reach: 150 ms less the largest shift
    buffer.receive(note_on(60, 90), 0.0)
    buffer.receive(note_off(60), 2.0)
    [event] = buffer.unclaimed
    buffer.place(event, 70, 0.0, -3.0)  # an eighth of 2 s: 1.75 s earlier, if it could
    sent = leave_times(buffer, 2.5)
    assert sent[1][0] == pytest.approx(2.15 - (0.15 - MAX_SHIFT), abs=0.0011)


def test_bypass_plays_the_lengths_as_they_came():
    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(60, 90), 0.0)
    buffer.receive(note_off(60), 0.2)
    [event] = buffer.unclaimed
    buffer.place(event, 70, 0.0, -1.0)
    assert same_times(leave_times(buffer, 1.0, bypass=True),
                      [(0.5, note_on(60, 90)), (0.7, note_off(60))])


def test_a_note_whose_note_off_was_lost_is_let_go_and_a_long_pad_is_not():
    """SIGSTOP then SIGCONT: JACK dropped the note-off. A note held past a minute and
    eight times its channel's longest note is let go (counted released); a pad channel
    whose notes last 20 s keeps a note held for 100 s."""
    from humanizer.daemon.buffer import STALE_FLOOR

    buffer = LookaheadBuffer(latency=0.5)
    buffer.receive(note_on(48, 70, channel=1), 0.0)
    buffer.receive(note_on(60, 90), 0.0)
    buffer.receive(note_off(60), 1.0)  # the lead's notes last a second
    buffer.receive(note_on(62, 90), 2.0)  # ... its note-off is lost
    buffer.receive(note_off(48, 1), 20.0)  # the pad's last 20 s
    buffer.receive(note_on(50, 70, channel=1), 21.0)  # held on
    assert buffer.let_go_of_stale(2.0 + STALE_FLOOR - 1) == 0
    assert buffer.let_go_of_stale(121.0) == 1
    assert buffer.counts.released == 1
    assert buffer.queue[-1].message == note_off(62)
    assert buffer.let_go_of_stale(121.0 + 59.0) == 0  # the pad: 8 x 20 s not yet passed
    assert buffer.let_go_of_stale(21.0 + 161.0) == 1
    assert [m for m in buffer.held()] == []
