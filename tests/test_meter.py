"""Where notes fall in the bar, from a file's tempo map and time signatures."""

import mido
import numpy as np
import pytest

from humanizer import meter, values
from humanizer.notes import notes_of


def file_with(signatures, tempo_changes, onsets, ticks_per_beat=480):
    """A one-track file: time signatures and tempos at ticks, a short note at each onset."""
    events = [(t, mido.MetaMessage("time_signature", numerator=n, denominator=d))
              for t, n, d in signatures]
    events += [(t, mido.MetaMessage("set_tempo", tempo=tempo)) for t, tempo in tempo_changes]
    for t in onsets:
        events += [(t, mido.Message("note_on", note=60, velocity=80)),
                   (t + 60, mido.Message("note_off", note=60))]
    track, now = mido.MidiTrack(), 0
    for t, message in sorted(events, key=lambda e: (e[0], e[1].type != "note_off")):
        track.append(message.copy(time=t - now))
        now = t
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    return midi


def test_a_waltz_bar_by_bar_through_a_tempo_change():
    onsets = [0, 480, 960, 1440, 1680, 2880]  # beats 1 2 3 | 1, the and of 1 | 1 of bar 3
    midi = file_with([(0, 3, 4)], [(0, 500_000), (960, 300_000)], onsets)
    notes, _ = notes_of(midi)
    found = meter.of_file(midi, notes)
    assert found.position.tolist() == pytest.approx([0, 1, 2, 0, 0.5, 0])
    assert found.phase.tolist() == pytest.approx([0, 0, 0, 0, 0.5, 0])
    assert found.beats.tolist() == [3] * 6 and found.known.tolist() == [1] * 6


def test_six_eight_counts_eighths_and_a_change_of_signature_starts_a_bar():
    # one bar of 6/8 (6 eighths = 1440 ticks), then 2/4 from tick 1440
    onsets = [0, 240, 720, 1440, 1920]
    midi = file_with([(0, 6, 8), (1440, 2, 4)], [], onsets)
    found = meter.of_file(midi, notes_of(midi)[0])
    assert found.position.tolist() == pytest.approx([0, 1, 3, 0, 1])
    assert found.beats.tolist() == [6, 6, 6, 2, 2]


def test_a_played_note_a_few_ticks_early_for_a_new_signature_is_on_its_downbeat_as_live():
    # 4/4 for a bar, then 3/4: a note 4 ticks (under a 48th of a beat) before the change
    # is the new bar's downbeat in 3/4, offline exactly as the live signature map has it
    onsets = [0, 1920 - 4, 1920 + 480]
    midi = file_with([(0, 4, 4), (1920, 3, 4)], [], onsets)
    found = meter.of_file(midi, notes_of(midi)[0])
    assert found.position.tolist() == [0, 0, 1] and found.beats.tolist() == [4, 3, 3]
    live = meter.of_positions(np.array(onsets) / 480, values.meter("4/4 3/4@2"))
    assert live.position.tolist() == found.position.tolist()
    assert live.beats.tolist() == found.beats.tolist()


def test_a_file_without_a_time_signature_is_in_four_four():
    midi = file_with([], [], [0, 480 * 5])
    found = meter.of_file(midi, notes_of(midi)[0])
    assert found.position.tolist() == [0, 1] and found.beats.tolist() == [4, 4]


def test_unknown_is_all_zeros():
    unknown = meter.Meter.unknown(3)
    assert unknown.known.tolist() == [0, 0, 0] and len(unknown) == 3


def test_live_positions_snap_to_the_grid_line_they_mean():
    jittered = np.array([4.0 - meter.SNAP / 2, 4.5 + meter.SNAP / 3, 1 / 3 + 0.01,
                         0.25 - 0.005, 2.07, 2.08])
    assert meter.snapped(jittered) == pytest.approx([4.0, 4.5, 1 / 3, 0.25, 2.0625, 2 + 1 / 12])
    placed = meter.of_positions(np.array([8.0 - 0.01, 9.5, np.nan]), values.meter("6/8"))
    assert placed.position.tolist() == [4.0, 1.0, 0.0]  # 6/8 counts eighths: 16 = 2 bars + 4
    assert placed.phase.tolist() == [0.0, 0.0, 0.0]
    assert placed.known.tolist() == [1.0, 1.0, 0.0] and placed.beats.tolist() == [6, 6, 0]


def test_a_song_that_changes_meter_counts_each_bar_in_its_own_signature():
    song = values.meter("4/4 3/4@3 6/8@5")  # bars 1-2 in 4/4, 3-4 in 3/4, then 6/8
    quarters = np.array([0, 7, 8 - 0.005, 8, 9, 11, 14, 15.5, np.nan])
    placed = meter.of_positions(quarters, song)
    # bar 3 starts at 8 quarters, bar 4 at 11, bar 5 at 14 (6/8: eighths, six to a bar)
    assert placed.position.tolist() == [0, 3, 0, 0, 1, 0, 0, 3, 0]
    assert placed.beats.tolist() == [4, 4, 3, 3, 3, 3, 6, 6, 0]
    assert [meter.bar_and_beat(q, song) for q in quarters] == [
        "1.1.00", "2.4.00", "3.1.00", "3.1.00", "3.2.00", "4.1.00", "5.1.00", "5.4.00", None]
    assert meter.signatures_text(song) == "4/4 3/4@3 6/8@5"


def test_one_signature_is_one_from_bar_1():
    quarters = np.array([0.0, 2.5, 7.99, 13.0])
    assert values.meter("3/4") == ((1, 3, 4),)
    assert meter.of_positions(quarters, values.meter("3/4")).position.tolist() == [0, 2.5, 2, 1]
    assert [meter.bar_and_beat(q, values.meter("3/4")) for q in quarters] == [
        "1.1.00", "1.3.50", "3.3.00", "5.2.00"]


def test_a_note_a_few_ms_early_for_a_new_signature_is_on_its_downbeat():
    song = values.meter("4/4 6/8@3")  # 6/8 from quarter 8: its beats are eighths
    # 6 ms early at 120 bpm; 15 ms early (beyond the snap: the 48th before); 4 ms late
    early = np.array([8 - 0.012, 8 - 0.03, 8 + 0.008])
    placed = meter.of_positions(early, song)
    assert placed.position.tolist() == pytest.approx([0, 4 - 1 / 48, 0])
    assert placed.beats.tolist() == [6, 4, 6]
    assert [meter.bar_and_beat(q, song) for q in early] == ["3.1.00", "2.4.98", "3.1.00"]
    assert [meter.signature_at(q, song) for q in (0.0, 8 - 0.012, 9.0, np.nan)] == [
        "4/4", "6/8", "6/8", "4/4"]
