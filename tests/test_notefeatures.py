"""The note-level encoding: what each step says about its note, heard as live windows hear."""

import numpy as np
import pytest

from humanizer import notefeatures
from humanizer.meter import Meter
from humanizer.notefeatures import (
    ACCENT_LIMIT,
    FEATURES,
    GROUPS,
    INPUTS,
    V2_INPUTS,
    encode_notes,
    step_order,
    without,
)


def column(x, name):
    return x[:, FEATURES.index(name)]


def encoded(notes, horizon=np.inf, meter=None, accents=None, drums=False):
    """notes: (start, end, pitch), sorted by start."""
    times, ends, pitches = (np.array(v, dtype=float) for v in zip(*notes))
    meter = meter or Meter.unknown(len(notes))
    accents = np.zeros(len(notes)) if accents is None else np.array(accents, dtype=float)
    return encode_notes(times, ends, pitches.astype(int), accents, meter, horizon, drums)


TRIAD_AND_TUNE = [(0.0, 1.0, 48), (0.0, 1.0, 52), (0.004, 1.0, 55), (0.5, 0.75, 72),
                  (0.75, 1.0, 74)]


def test_the_voicing_of_a_chord_under_a_tune():
    x = encoded(TRIAD_AND_TUNE)
    assert x.shape == (5, INPUTS) and column(x, "present").tolist() == [1] * 5
    assert column(x, "chord_size")[:3] == pytest.approx([np.log2(3) / 3] * 3)
    assert column(x, "rank_top")[:3] == pytest.approx([2 / 6, 1 / 6, 0])
    assert column(x, "is_bottom")[:3].tolist() == [1, 0, 0]
    assert column(x, "above")[:3] == pytest.approx([7 / 24, 3 / 24, 0])
    # the tune's first note sounds over the held triad: the lowest pitch under it is 48
    assert column(x, "below")[3] == pytest.approx((72 - 48) / 24)
    assert column(x, "interval_before")[3] == pytest.approx(np.log2(0.5 / 0.25) / 4)


def test_a_window_hears_only_up_to_its_horizon():
    x = encoded(TRIAD_AND_TUNE[:4], horizon=0.6)
    assert column(x, "still_sounding").tolist() == [1, 1, 1, 1]
    assert column(x, "duration")[3] == pytest.approx(np.log2(0.1 / 0.25) / 4)
    assert column(x, "next_unheard").tolist() == [0, 0, 0, 1]
    with pytest.raises(ValueError, match="after the horizon"):  # a window holds none
        encoded(TRIAD_AND_TUNE[:4] + [(0.7, 0.8, 60)], horizon=0.6)


def test_steps_follow_pitch_within_a_chord_whatever_arrived_first():
    times = np.array([0.0, 0.001, 0.002, 0.5])
    assert step_order(times, np.array([67, 60, 64, 72])).tolist() == [1, 2, 0, 3]


def test_the_users_accents_and_the_meter_are_heard():
    meter = Meter(np.array([0, 0.5, 0, 0, 0]), np.array([0, 0.5, 1, 2, 3]),
                  np.full(5, 4.0), np.ones(5))
    x = encoded(TRIAD_AND_TUNE, meter=meter, accents=[0, 0, 0, 32, -16])
    assert column(x, "accent").tolist() == [0, 0, 0, 1, -0.5]
    assert column(x, "downbeat").tolist() == [1, 0, 0, 0, 0]
    assert column(x, "on_beat").tolist() == [1, 0, 1, 1, 1]
    unknown = encoded(TRIAD_AND_TUNE)
    assert column(unknown, "meter_known").tolist() == [0] * 5
    assert not column(unknown, "phase_cos").any()


def test_an_accent_is_heard_up_to_its_limit_either_way():
    x = encoded(TRIAD_AND_TUNE, accents=[0, ACCENT_LIMIT, 90, -ACCENT_LIMIT, -90])
    assert ACCENT_LIMIT == 64 and column(x, "accent").tolist() == [0, 2, 2, -2, -2]


def test_a_model_trained_without_the_voicing_or_the_meter_hears_zeros_there():
    meter = Meter(np.array([0, 0.5, 0, 0, 0]), np.array([0, 0.5, 1, 2, 3]),
                  np.full(5, 4.0), np.ones(5))
    full = encoded(TRIAD_AND_TUNE, meter=meter)
    ablated = without(full.copy(), ["voicing", "meter"])
    voicing = [FEATURES.index(name) for name in GROUPS["voicing"]]
    meter_columns = [FEATURES.index(name) for name in GROUPS["meter"]]
    assert full[:, voicing].any() and not ablated[:, voicing].any()
    assert full[:, meter_columns].any() and not ablated[:, meter_columns].any()
    # without the meter a note reads exactly as one whose meter is unknown
    no_voicing = without(encoded(TRIAD_AND_TUNE), ["voicing"])
    np.testing.assert_array_equal(ablated, no_voicing)
    kept = [i for i in range(INPUTS) if FEATURES[i] not in GROUPS["voicing"] + GROUPS["meter"]]
    np.testing.assert_array_equal(ablated[:, kept], full[:, kept])


def test_drums_name_their_kit_piece():
    x = encoded([(0.0, 0.1, 36), (0.0, 0.1, 42), (0.25, 0.3, 38), (0.5, 0.6, 71)], drums=True)
    assert column(x, "kit_kick")[0] == 1 and column(x, "kit_closed_hat")[1] == 1
    assert column(x, "kit_snare")[2] == 1 and column(x, "kit_other")[3] == 1
    assert x[:, [i for i, f in enumerate(FEATURES) if f.startswith("kit_")]].sum() == 4


def test_drums_name_their_stroke_so_a_bow_and_an_edge_of_one_piece_differ():
    crash_bow, crash_edge, cowbell = 49, 55, 56
    x = encoded([(0.0, 0.1, crash_bow), (0.5, 0.6, crash_edge), (1.0, 1.1, cowbell)],
                drums=True)
    strokes = [i for i, f in enumerate(FEATURES) if f.startswith("stroke_")]
    assert column(x, "stroke_49").tolist() == [1, 0, 0]
    assert column(x, "stroke_55").tolist() == [0, 1, 0]
    assert x[:, strokes].sum(axis=1).tolist() == [1, 1, 0]  # the kit never had a cowbell
    assert column(x, "kit_crash").tolist() == [1, 1, 0]
    # a style trained without them hears a bow and an edge only by their pitch, as v2 did
    ablated = without(x.copy(), ["strokes"])
    assert not ablated[:, strokes].any()
    others = [i for i in range(INPUTS) if i not in strokes]
    np.testing.assert_array_equal(ablated[:, others], x[:, others])


def test_a_piano_hears_no_strokes_and_a_version_2_style_its_first_features_alone():
    notes = [(0.0, 0.1, 36), (0.0, 0.1, 42), (0.25, 0.3, 38)]
    piano = encoded(notes)
    assert piano[:, V2_INPUTS:].sum() == 0
    times, ends, pitches = (np.array(v, dtype=float) for v in zip(*notes))
    for drums in (False, True):
        full = encoded(notes, drums=drums)
        v2 = encode_notes(times, ends, pitches.astype(int), np.zeros(3),
                          Meter.unknown(3), np.inf, drums, version=2)
        assert full.shape == (3, INPUTS) and v2.shape == (3, V2_INPUTS)
        np.testing.assert_array_equal(v2, full[:, :V2_INPUTS])


def test_a_few_milliseconds_of_jitter_leave_the_meter_and_densities_as_drawn():
    """A part drawn on the grid arrives through JACK a few ms off it: the meter's flags and
    the onset densities must hear it as drawn (a drum's velocity moved by up to 25 steps
    when a note 1 s back fell out of the count, or a beat's note was no longer on it)."""
    times = np.arange(16) * 0.25  # 16ths at 60 bpm: one note exactly 1 s before another
    jitter = np.tile([0.003, -0.003], 8)

    def steps(onsets):
        position = onsets % 4  # a beat per second, four to the bar
        meter = Meter(position % 1.0, position, np.full(16, 4.0), np.ones(16))
        return notefeatures.encode_notes(onsets, onsets + 0.2, np.full(16, 60), np.zeros(16),
                                         meter)

    drawn, played = steps(times), steps(times + jitter)
    for name in ("downbeat", "on_beat", "density_before", "density_after"):
        column = notefeatures.COLUMN[name]
        assert played[:, column].tolist() == drawn[:, column].tolist(), name
    assert drawn[:, notefeatures.COLUMN["on_beat"]].sum() == 4


def sliced(times, ends, pitches, accents, meter, lo, hi, horizons, drums):
    """Each window encoded alone, from its own slice of the part: what a window is."""
    return np.concatenate([
        encode_notes(times[a:b], ends[a:b], pitches[a:b], accents[a:b],
                     meter[np.arange(a, b)], h, drums)
        for a, b, h in zip(lo, hi, horizons)])


@pytest.mark.parametrize("seed", range(6))
def test_windows_encoded_together_are_each_window_encoded_alone(seed):
    """offline --latency encodes thousands of windows in one call: each must come out as the
    live daemon's lone window does - windows that begin inside a chord or a run of notes
    closer than a chord, horizons that cut a chord or a held note, bursts at one instant,
    the meter, a kit."""
    rng = np.random.default_rng(seed)
    count = 300
    times = np.sort(np.concatenate([rng.integers(0, 80, count // 3) * 0.125,  # chords
                                    np.arange(count // 3) * 0.03 + 3.0,  # closer than a chord
                                    np.full(count - 2 * (count // 3), 7.0)]))  # one instant
    ends = times + rng.choice([0.05, 0.3, 2.0, 9.0, 1e9], count)
    pitches = rng.integers(35, 100, count)
    accents = rng.normal(0, 10, count)
    meter = Meter(times * 2 % 1, times * 2 % 4, np.full(count, 4.0), np.ones(count) * (seed % 2))
    lo = np.sort(rng.integers(0, count, 40))
    hi = np.minimum(lo + rng.integers(1, 200, 40), count)
    horizons = times[hi - 1] + rng.choice([0.0, 0.01, 0.5, np.inf], 40)
    rows, _, _ = notefeatures.window_rows(lo, hi)
    drums = seed == 5
    together = notefeatures.encode_windows(times, ends, pitches, accents[rows], meter, lo, hi,
                                           horizons, drums)
    assert np.array_equal(together, sliced(times, ends, pitches, accents, meter, lo, hi,
                                           horizons, drums))
    first = notefeatures.window_chords(times, lo, hi)
    alone = np.concatenate([notefeatures.chords(times[a:b]) + a for a, b in zip(lo, hi)])
    assert np.array_equal(first, alone)
