"""Property-based tests: random valid note lists through MIDI files and through humanizing.

The hand-picked cases elsewhere cover what we thought of; these draw pitches over the whole
0..127 range (off the keyboard too), every channel, velocities 1..127, and starts and ends
on a tick grid that often coincide: zero-length notes, chords, stacked same-pitch notes.
"""

from collections import Counter, defaultdict
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from corpus.compare import assert_notes_kept, assert_only_velocities_changed
from hypothesis import event, given, settings
from hypothesis import strategies as st

from humanizer.notes import Note, midi_from_notes, read, write_atomic
from humanizer.offline import Humanizer
from humanizer.output import OutputSettings

TICKS_PER_SECOND = 960  # midi_from_notes' defaults: 480 ticks per beat at 120 bpm
GRID = 60  # a 32nd note: coarse enough that starts and ends often coincide
CROWDED_PITCHES = [20, 21, 60, 61, 108, 109]  # keyboard edges and a middle: same-key clashes


@st.composite
def notes_on_grid(draw) -> Note:
    pitch = draw(st.one_of(st.integers(0, 127), st.sampled_from(CROWDED_PITCHES)))
    start = draw(st.integers(0, 160)) * GRID
    length = draw(st.one_of(st.just(0), st.integers(1, 16))) * GRID
    return Note(pitch=pitch, velocity=draw(st.integers(1, 127)),
                start=start / TICKS_PER_SECOND, end=(start + length) / TICKS_PER_SECOND,
                channel=draw(st.integers(0, 15)))


note_lists = st.lists(notes_on_grid(), max_size=60)


def ticks(seconds: float) -> int:
    return round(seconds * TICKS_PER_SECOND)


def by_key(notes) -> dict:
    """Per (channel, pitch): the starts with their velocities, and the ends, as multisets.

    Which note-off ends which of two same-key notes sounding together is not in a MIDI
    file (it is read first-in, first-out), so for such notes only these survive.
    """
    keys = defaultdict(lambda: (Counter(), Counter()))
    for note in notes:
        starts, ends = keys[note.channel, note.pitch]
        starts[ticks(note.start), note.velocity] += 1
        ends[ticks(note.end)] += 1
    return dict(keys)


def clash(a: Note, b: Note) -> bool:
    """Two notes of one key whose note-offs a file cannot tell apart."""
    return (a.channel, a.pitch) == (b.channel, b.pitch) and (
        a.start == b.start or a.start < b.start < a.end or b.start < a.start < b.end)


def exact(notes) -> list[tuple]:
    return sorted((n.channel, n.pitch, ticks(n.start), ticks(n.end), n.velocity) for n in notes)


@settings(max_examples=150, deadline=None)
@given(notes=note_lists)
def test_notes_survive_a_file_round_trip(notes):
    with TemporaryDirectory() as folder:
        path = Path(folder) / "notes.mid"
        write_atomic(midi_from_notes(notes), path)
        back = read(path).notes
    assert by_key(back) == by_key(notes)
    if not any(clash(a, b) for i, a in enumerate(notes) for b in notes[i + 1:]):
        assert exact(back) == exact(notes)


@pytest.fixture(scope="session")
def humanizers():
    """One Humanizer per (strength, latency), loaded once: loading per example would
    dominate the run time. The shipped default styles: piano, drums on channel 10."""
    cache = {}

    def get(strength: float, latency: float | None) -> Humanizer:
        if (strength, latency) not in cache:
            cache[strength, latency] = Humanizer(None, OutputSettings(strength=strength),
                                                 latency)
        return cache[strength, latency]

    return get


@settings(max_examples=60, deadline=None)
@given(notes=note_lists, strength=st.sampled_from([0.0, 0.4, 1.0]),
       latency=st.sampled_from([None, 0.0, 0.25]))
def test_humanizing_a_file_changes_only_velocities(humanizers, notes, strength, latency):
    with TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.mid", Path(folder) / "out.mid"
        write_atomic(midi_from_notes(notes), source)
        result = humanizers(strength, latency).file(source, target)
        note_file, velocities = result.before, result.velocities
        assert_only_velocities_changed(source, target)
        assert_notes_kept(source, target)
        after = read(target).notes
    assert [n.velocity for n in after] == velocities
    assert all(1 <= v <= 127 for v in velocities)
    if strength == 0.0:
        assert velocities == [n.velocity for n in note_file.notes]


@given(note_lists, st.data())
@settings(max_examples=80, deadline=None)
def test_moving_notes_keeps_lengths_and_never_tangles_a_key(notes, data):
    """with_timing on random parts and random shifts: every note keeps its key, velocity
    and length; notes of one key that did not overlap never come to overlap; nothing
    starts before the file does."""
    from humanizer.moves import with_timing

    with TemporaryDirectory() as folder:
        path = Path(folder) / "in.mid"
        write_atomic(midi_from_notes(notes), path)
        before = read(path)
        shifts = data.draw(st.lists(st.floats(-0.1, 0.1), min_size=len(before.notes),
                                    max_size=len(before.notes)))
        write_atomic(with_timing(before.midi, before, shifts), path)
        after = read(path)
    assert len(after.notes) == len(before.notes)

    def lengths(read_notes):
        return Counter((n.channel, n.pitch, n.velocity, ticks(n.end) - ticks(n.start))
                       for n in read_notes)

    separate = not any(clash(a, b) for i, a in enumerate(before.notes)
                       for b in before.notes[i + 1:])
    event("separate notes" if separate else "same-key notes overlap")
    if separate:  # which note-off ends which note is only defined for separate notes
        assert lengths(after.notes) == lengths(before.notes)
        for i, a in enumerate(after.notes):
            assert not any(clash(a, b) for b in after.notes[i + 1:])
    assert min((n.start for n in after.notes), default=0.0) >= 0.0
