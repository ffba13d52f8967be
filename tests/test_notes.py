"""MIDI files <-> notes: nothing but the note list is interpreted, nothing else is lost."""


import os
from pathlib import Path

import mido
import pytest
from helpers import ASAP

from humanizer import examples
from humanizer.errors import HumanizerError
from humanizer.notes import Note, midi_from_notes, notes_of, read, with_velocities, write_atomic

BACH = ASAP / "Bach" / "Fugue" / "bwv_848" / "midi_score.mid"
EXAMPLE = Path(examples.__file__).parent / "band.mid"  # shipped: read at collection


def track(*messages):
    return mido.MidiTrack(list(messages))


def on(note, velocity=64, time=0, channel=0):
    return mido.Message("note_on", note=note, velocity=velocity, time=time, channel=channel)


def off(note, time=0, channel=0):
    return mido.Message("note_off", note=note, velocity=0, time=time, channel=channel)


def test_velocity_zero_note_on_ends_a_note():
    midi = mido.MidiFile(ticks_per_beat=480, tracks=[track(on(60), on(60, 0, time=480))])
    notes, duration = notes_of(midi)
    assert [(n.pitch, n.start, n.end) for n in notes] == [(60, 0.0, 0.5)]
    assert duration == 0.5


def test_overlapping_same_pitch_notes_end_first_in_first_out():
    midi = mido.MidiFile(ticks_per_beat=480, tracks=[
        track(on(60, 90), on(60, 30, time=240), off(60, time=240), off(60, time=480))])
    notes, _ = notes_of(midi)
    assert [(n.velocity, n.start, n.end) for n in notes] == [(90, 0.0, 0.5), (30, 0.25, 1.0)]


def test_tempo_map_of_type_1_applies_to_every_track():
    tempo = track(mido.MetaMessage("set_tempo", tempo=1_000_000, time=480))
    notes_track = track(on(60, time=960), off(60, time=480))
    midi = mido.MidiFile(type=1, ticks_per_beat=480, tracks=[tempo, notes_track])
    notes, _ = notes_of(midi)
    # first beat at 120 bpm (0.5 s), then 60 bpm: tick 960 = 1.5 s, tick 1440 = 2.5 s
    assert (notes[0].start, notes[0].end) == (1.5, 2.5)


def test_type_2_tracks_keep_their_own_tempo():
    first = track(mido.MetaMessage("set_tempo", tempo=1_000_000), on(60, time=480), off(60))
    second = track(on(62, time=480), off(62))
    midi = mido.MidiFile(type=2, ticks_per_beat=480, tracks=[first, second])
    notes, _ = notes_of(midi)
    assert {n.pitch: n.start for n in notes} == {60: 1.0, 62: 0.5}


def test_unended_note_sounds_to_the_end_of_its_track():
    midi = mido.MidiFile(ticks_per_beat=480, tracks=[
        track(on(60), mido.MetaMessage("end_of_track", time=960))])
    notes, _ = notes_of(midi)
    assert notes[0].end == 1.0


def test_notes_outside_the_keyboard_are_listed_but_marked():
    midi = mido.MidiFile(ticks_per_beat=480, tracks=[track(on(10), off(10, time=10),
                                                           on(60), off(60, time=10))])
    notes, _ = notes_of(midi)
    assert [n.on_keyboard for n in notes] == [False, True]


def test_changing_velocities_changes_nothing_else(tmp_path):
    original = read(BACH)
    louder = [min(127, n.velocity + 7) for n in original.notes]
    path = tmp_path / "out.mid"
    write_atomic(with_velocities(original, louder), path)
    written = mido.MidiFile(path)
    assert written.ticks_per_beat == original.midi.ticks_per_beat
    assert written.type == original.midi.type
    changed = 0
    for old_track, new_track in zip(original.midi.tracks, written.tracks, strict=True):
        assert len(old_track) == len(new_track)
        for old, new in zip(old_track, new_track):
            if old.type == "note_on" and old.velocity > 0:
                changed += old.velocity != new.velocity
                assert old.copy(velocity=new.velocity) == new
            else:
                assert old == new
    assert changed == len(original.notes)
    assert [n.velocity for n in read(path).notes] == louder


def test_file_round_trip_of_generated_notes(tmp_path):
    notes = [Note(60, 80, 0.0, 0.5), Note(64, 70, 0.25, 1.0), Note(60, 90, 1.0, 1.5, channel=9)]
    path = tmp_path / "gen.mid"
    write_atomic(midi_from_notes(notes), path)
    back = read(path).notes
    assert [(n.pitch, n.velocity, n.start, n.end, n.channel) for n in back] == \
        [(n.pitch, n.velocity, n.start, n.end, n.channel) for n in notes]


@pytest.mark.parametrize("content, message", [
    (b"", "empty or truncated"),
    (b"hello, this is not MIDI at all", "not a MIDI file"),
    (EXAMPLE.read_bytes()[:300], "truncated"),
])
def test_bad_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.mid"
    path.write_bytes(content)
    with pytest.raises(HumanizerError, match=message):
        read(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(HumanizerError, match="no such file"):
        read(tmp_path / "missing.mid")


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    class Broken(mido.MidiFile):
        def save(self, filename=None, file=None):
            file.write(b"MThd")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(Broken(), tmp_path / "out.mid")
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_ordinary_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        write_atomic(midi_from_notes([Note(60, 80, 0.0, 0.5)]), tmp_path / "x.mid")
    finally:
        os.umask(umask)
    assert (tmp_path / "x.mid").stat().st_mode & 0o777 == 0o644


def test_zero_length_notes_survive_generation(tmp_path):
    write_atomic(midi_from_notes([Note(60, 80, 1.0, 1.0), Note(60, 70, 1.0, 1.5)]),
                 tmp_path / "z.mid")
    assert [(n.velocity, n.start) for n in read(tmp_path / "z.mid").notes] == \
        [(80, 1.0), (70, 1.0)]


def test_a_tempo_of_0_a_folder_a_pipe_and_a_dangling_link_are_one_clear_error(tmp_path):
    midi = midi_from_notes([Note(60, 80, 0.0, 0.5)])
    midi.tracks[0].insert(0, mido.MetaMessage("set_tempo", tempo=0, time=0))
    path = tmp_path / "still.mid"
    midi.save(path)
    with pytest.raises(HumanizerError, match="a tempo of 0"):
        read(path)
    folder = tmp_path / "folder.mid"
    folder.mkdir()
    with pytest.raises(HumanizerError, match="is a folder, not a MIDI file"):
        read(folder)
    fifo = tmp_path / "pipe.mid"
    os.mkfifo(fifo)
    with pytest.raises(HumanizerError, match="not a regular file"):
        read(fifo)  # (opening a FIFO would wait for a writer forever)
    link = tmp_path / "gone.mid"
    link.symlink_to(tmp_path / "moved.mid")
    with pytest.raises(HumanizerError, match="a link to .*moved.mid, which does not exist"):
        read(link)


def test_a_file_nobody_may_read_is_one_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file: permissions cannot be tested as root")
    path = tmp_path / "locked.mid"
    midi_from_notes([Note(60, 80, 0.0, 0.5)]).save(path)
    path.chmod(0)
    with pytest.raises(HumanizerError, match="cannot read the file"):
        read(path)


def test_a_legal_250_byte_output_name_is_written(tmp_path):
    """Issue 36, item 10: the temporary name around it ran past 255 bytes and was refused."""
    target = tmp_path / ("x" * 246 + ".mid")
    assert len(target.name.encode()) == 250
    write_atomic(midi_from_notes([Note(60, 80, 0.0, 0.5)]), target)
    assert read(target).notes[0].pitch == 60
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no .part left


@pytest.mark.parametrize("counted", [1, 0, 0xFFFF])
def test_every_track_the_file_holds_is_read_whatever_its_header_counts(tmp_path, counted):
    """Issue 36, item 10: a header counting fewer tracks than the file holds lost the
    others' notes ("no notes to humanize"), and a count of 0 or 0xFFFF (read signed: -1)
    lost every track, with exit 0."""
    import struct

    midi = mido.MidiFile(type=1)
    for pitch in (60, 64, 67):
        track = mido.MidiTrack([mido.Message("note_on", note=pitch, velocity=80, time=0),
                                mido.Message("note_off", note=pitch, time=240)])
        midi.tracks.append(track)
    path = tmp_path / "three.mid"
    midi.save(path)
    data = bytearray(path.read_bytes())
    data[10:12] = struct.pack(">H", counted)
    path.write_bytes(bytes(data))
    assert sorted(note.pitch for note in read(path).notes) == [60, 64, 67]


def test_a_sysex_split_into_packets_keeps_its_bytes_exactly(tmp_path, capsys):
    """Issue 36, item 10: an F0 packet without its F7, the F7 packets carrying the rest,
    and an F7 escape (real-time bytes) were written back as whole F0 ... F7 messages. A
    complete sysex and the notes around them stay as they were; only velocities change."""
    import struct

    from helpers import run

    first = b"\x00\xf0\x05\x43\x12\x00\x07\x10"  # F0 packet: no F7 at its end
    rest = b"\x60\xf7\x04\x01\x02\x03\xf7"  # 96 ticks later, the rest, ending F7
    escape = b"\x00\xf7\x01\xfa"  # an escape: a Start byte
    whole = b"\x00\xf0\x04\x7e\x7f\x09\xf7"  # a complete sysex
    notes = b"".join(bytes([0, 0x90, 60 + i, 80]) + b"\x83\x60" + bytes([0x80, 60 + i, 0])
                     for i in range(8))
    body = first + rest + escape + whole + notes + b"\x00\xff\x2f\x00"
    path = tmp_path / "split.mid"
    path.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk"
                     + struct.pack(">I", len(body)) + body)
    assert len(read(path).notes) == 8
    code, _, err = run(capsys, "humanize", path, "-o", tmp_path / "out.mid")
    assert code == 0, err
    written = (tmp_path / "out.mid").read_bytes()
    assert first + rest + escape + whole in written
    assert [n.velocity for n in read(tmp_path / "out.mid").notes] != [80] * 8
