"""The pianoroll88 encoding: frames of onsets and sustained notes."""


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
