"""The pianoroll88 encoding: frames, onset cells, levels and the velocity read-out."""

import numpy as np
import pytest

from humanizer import encoding
from humanizer.notes import Note


def test_frames_mark_onsets_and_sustain():
    notes = [Note(21, 80, 0.0, 0.1), Note(108, 80, 0.05, 0.051), Note(60, 80, 0.2, 0.3)]
    frames = encoding.encode(notes, 0, 20, fps=50)
    assert frames.shape == (20, 176)
    assert frames[0, 0] == 1 and frames[0:5, 88].tolist() == [1] * 5 and frames[5, 88] == 0
    # a very short note still sounds in its onset frame
    assert frames[2, 87] == 1 and frames[2, 88 + 87] == 1 and frames[3, 88 + 87] == 0
    assert frames[10, 60 - 21] == 1 and frames[10:15, 88 + 39].sum() == 5
    assert frames[:, :88].sum() == 3


def test_notes_off_the_keyboard_are_not_encoded():
    frames = encoding.encode([Note(10, 80, 0.0, 1.0), Note(120, 80, 0.0, 1.0)], 0, 60, 50)
    assert frames.sum() == 0


def test_window_cuts_notes_at_its_edges():
    note = Note(60, 80, 1.0, 3.0)
    frames = encoding.encode([note], 75, 50, fps=50)  # window 1.5 s .. 2.5 s
    assert frames[:, :88].sum() == 0  # onset before the window
    assert frames[:, 88 + 39].sum() == 50  # sustained through it


def test_onset_cells_read_back_each_note():
    notes = [Note(60, 80, 0.5, 0.6), Note(64, 80, 0.52, 0.6)]
    frames, keys = encoding.onset_cells(notes, 10, fps=50)
    encoded = encoding.encode(notes, 10, 30, fps=50)
    assert encoded[frames, keys].tolist() == [1.0, 1.0]


def test_local_mean_of_a_constant_is_that_constant():
    times = np.sort(np.random.default_rng(0).uniform(0, 60, 500))
    level = encoding.local_mean(times, np.full(500, 70.0), times)
    assert np.allclose(level, 70.0)


def test_local_mean_follows_a_slow_crescendo_but_smooths_accents():
    times = np.arange(0, 60, 0.25)
    crescendo = 40 + times  # 40 .. 100 over a minute
    accents = np.where(np.arange(len(times)) % 4 == 0, 12.0, -4.0)
    level = encoding.local_mean(times, crescendo + accents, times)
    middle = slice(40, -40)
    assert np.abs(level[middle] - crescendo[middle]).max() < 1.0


def test_deviation_targets_are_relative_to_the_level():
    notes = [Note(60, 60 + (20 if i % 2 else 0), i * 0.25, i * 0.25 + 0.2) for i in range(80)]
    targets = encoding.deviation_targets(notes) * encoding.DEVIATION_SCALE
    assert abs(targets.mean()) < 0.5
    assert np.allclose(np.abs(targets[10:-10]), 10, atol=0.5)


@pytest.mark.parametrize("count,pieces", [(0, 1), (1, 1), (5, 1), (7, 3), (64, 64),
                                          (65, 2), (1000, 7), (3, 5)])
def test_even_slices_are_the_pieces_of_array_split(count, pieces):
    expected = [(int(p[0]), int(p[-1]) + 1) for p in np.array_split(np.arange(count), pieces)
                if len(p)]
    assert [(s.start, s.stop) for s in encoding.even_slices(count, pieces)] == expected
