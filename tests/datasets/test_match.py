"""ASAP's match files as the exact DAW case: both file versions, the meter, the tempo."""

import gzip

import numpy as np
import pytest
from helpers import ASAP

from humanizer.datasets.match import quarters, read_match
from humanizer.datasets.performance import load_match_pair
from humanizer.errors import HumanizerError

VERSION_1 = """info(matchFileVersion,1.0.0).
info(midiClockUnits,480).
info(midiClockRate,500000).
scoreprop(timeSignature,3/4,1:1,0,0.0000).
snote(n1,[C,n],4,1:1,0,1/4,0.0000,1.0000,[v1])-note(n0,60,0,400,80,0,0).
snote(n2,[E,n],4,1:1,0,1/4,0.0000,1.0000,[v2])-note(n1,64,5,400,50,0,0).
snote(n3,[G,n],4,1:2,0,1/8,1.0000,1.5000,[v1])-note(n2,67,480,600,70,0,0).
snote(n4,[A,b],4,1:2,1/8,1/8,1.5000,2.0000,[v1])-deletion.
snote(n5,[C,n],5,2:1,0,1/4,3.0000,4.0000,[v1,accent])-note(n3,72,1440,1900,100,0,0).
insertion-note(n9,61,700,720,30,0,0).
"""

VERSION_5 = """info(matchFileVersion,5.0).
info(midiClockUnits,480).
info(midiClockRate,500000).
info(timeSignature,[2/4]).
snote(n1-1,[E,b],4,1:1,0,1/4,0.0,1.0,[])-note(n1,[E,b],4,0,900,1000,44).
snote(n2-1,[B,b],3,1:2,0,1/4,1.0,2.0,[])-note(n3,[B,b],3,960,1800,1900,42).
snote(n3-1,[C,n],3,2:1,0,1/4,2.0,3.0,[])-note(n4,[C,n],3,1920,2500,2600,33).
"""


def write(tmp_path, text, name="x.match.gz"):
    path = tmp_path / name
    with gzip.open(path, "wt") as file:
        file.write(text)
    return path


def test_a_version_1_file_gives_the_score_at_one_tempo_with_its_meter(tmp_path):
    score = read_match(write(tmp_path, VERSION_1))
    assert score.pitches.tolist() == [60, 64, 67, 68, 72]  # Ab4 = 68: spelled, not played
    assert score.seconds_per_quarter == pytest.approx(0.5, abs=0.002)  # 480 ticks a beat
    assert score.starts.tolist() == pytest.approx([0, 0, 0.5, 0.75, 1.5], abs=0.01)
    assert score.ends.tolist() == pytest.approx([0.5, 0.5, 0.75, 1, 2], abs=0.01)
    assert np.isnan(score.velocities[3]) and score.velocities[[0, 1, 2, 4]].tolist() == [
        80, 50, 70, 100]
    assert score.meter.phase.tolist() == [0, 0, 0, 0.5, 0]
    assert score.meter.position.tolist() == [0, 0, 1, 1.5, 0]
    assert score.meter.beats.tolist() == [3] * 5


def test_a_version_5_file_spells_its_performed_notes_and_names_its_meter_once(tmp_path):
    score = read_match(write(tmp_path, VERSION_5))
    assert score.pitches.tolist() == [63, 58, 48]  # Eb4, Bb3, C3: sorted by onset beat
    assert score.velocities.tolist() == [44, 42, 33]
    assert score.meter.beats.tolist() == [2, 2, 2]
    assert score.meter.position.tolist() == [0, 1, 0]


def test_a_change_of_beat_unit_counts_in_quarter_notes():
    signatures = [(0.0, 3, 8), (6.0, 2, 4)]  # two bars of 3/8 (eighths), then 2/4
    assert quarters(signatures, 3.0) == pytest.approx(1.5)
    assert quarters(signatures, 6.0) == pytest.approx(3.0)
    assert quarters(signatures, 8.0) == pytest.approx(5.0)


def test_a_performance_that_skips_most_of_its_score_is_refused(tmp_path):
    lines = VERSION_1.replace("-note(n2,67,480,600,70,0,0)", "-deletion").replace(
        "-note(n3,72,1440,1900,100,0,0)", "-deletion")
    with pytest.raises(HumanizerError, match="of the score was played"):
        read_match(write(tmp_path, lines))


@pytest.mark.skipif(not ASAP.is_dir(), reason="needs ../shared/data")
def test_a_real_performance_gives_a_daw_case_with_targets_on_the_played_notes():
    path = ASAP / "Bach" / "Fugue" / "bwv_846" / "Shi05M.mid"
    pair = load_match_pair(path)
    played = ~np.isnan(pair.deviations)
    assert len(pair.starts) == 751 and played.sum() == 738
    assert np.all(np.diff(pair.starts) >= 0)
    assert pair.meter.known.all() and pair.meter.phase[0] == 0.5  # the subject's upbeat
    # in velocity steps: within 1.6 of the level on average, spread over 3.2
    assert abs(np.nanmean(pair.deviations)) < 1.6 and np.nanstd(pair.deviations) > 3.2


def test_a_beat_file_gives_the_meter_of_a_quantized_part(tmp_path):
    from humanizer.datasets.beats import meter_from_beats, read_beats

    path = tmp_path / "beat_midi.txt"
    # beats every 0.6 s from 0.05 s, a downbeat every third (3/4), the first a pickup
    path.write_text("".join(f"{0.05 + 0.6 * i} 1.0 {1.0 if i % 3 == 1 else 0.0}\n"
                            for i in range(10)))
    beats, downbeats = read_beats(path)
    times = np.array([0.05, 0.65, 0.95, 1.25, 1.85 + 0.0001, 0.05 + 0.6 * 12])
    meter = meter_from_beats(times, beats, downbeats)
    assert meter.phase.tolist() == pytest.approx([0, 0, 0.5, 0, 0, 0])
    assert meter.position.tolist() == pytest.approx([2, 0, 0.5, 1, 2, 2])
    assert meter.beats.tolist() == [3] * 6


def test_a_version_1_file_in_six_eight_counts_its_beats_in_quarters(tmp_path):
    """Version 1.0.0's bar:beat counts quarter notes whatever the signature: the note at
    1:2 + 1/8 of a whole is the 4th eighth of the bar (position 3)."""
    text = "\n".join([
        "info(matchFileVersion,1.0.0).", "info(midiClockUnits,480).",
        "info(midiClockRate,500000).", "scoreprop(timeSignature,6/8,1:1,0,0.0000).",
        "snote(a,[C,n],4,1:1,0,1/8,0.0000,1.0000,[])-note(a,60,0,200,60,0,0).",
        "snote(b,[D,n],4,1:2,1/8,1/8,3.0000,4.0000,[])-note(b,62,720,900,70,0,0).",
        "snote(c,[E,n],4,2:1,0,1/8,6.0000,7.0000,[])-note(c,64,1440,1600,80,0,0).", ""])
    score = read_match(write(tmp_path, text))
    assert score.meter.position.tolist() == pytest.approx([0, 3, 0])
    assert score.meter.beats.tolist() == [6, 6, 6]
    assert score.starts.tolist() == pytest.approx([0, 0.75, 1.5], abs=0.01)
