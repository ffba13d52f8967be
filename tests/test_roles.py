"""Roles: generated band parts as a DAW user draws them, each given the role its players
have - from the channel, the track name, the General MIDI program and what its notes do."""

import mido
import pytest
from helpers import run

from humanizer.notes import Note, instrument_of, midi_from_notes
from humanizer.roles import ROLES, Playing, name_role, program_role, role_of

BEAT = 0.5  # 120 bpm


def bass_line(channel: int = 1) -> list[Note]:
    """Eighths of a root and its fifth, one note at a time, low."""
    return [Note(40 + 7 * (i % 2), 90, i * BEAT / 2, i * BEAT / 2 + 0.2, channel)
            for i in range(32)]


def strum(channel: int = 2) -> list[Note]:
    """A guitar's chords on every beat, short."""
    return [Note(pitch, 80, beat * BEAT, beat * BEAT + 0.3, channel)
            for beat in range(16) for pitch in (52, 55, 59, 64)]


def strings(channel: int = 3) -> list[Note]:
    """Whole-bar chords held into each other."""
    return [Note(pitch, 97, bar * 2.0, bar * 2.0 + 2.0, channel)
            for bar in range(6) for pitch in (60, 64, 67)]


def lead(channel: int = 4) -> list[Note]:
    """A melody, one note at a time, above the middle."""
    return [Note(72 + (i * 5) % 12, 100, i * BEAT, i * BEAT + 0.4, channel) for i in range(24)]


def kit(channel: int = 9, velocity: int = 127) -> list[Note]:
    """Kick on 1 and 3, snare on 2 and 4, closed hats on every eighth."""
    notes = []
    for eighth in range(32):
        at = eighth * BEAT / 2
        notes.append(Note(42, velocity, at, at + 0.05, channel))
        if eighth % 4 == 0:
            notes.append(Note(36, velocity, at, at + 0.1, channel))
        if eighth % 4 == 2:
            notes.append(Note(38, velocity, at, at + 0.1, channel))
    return notes


@pytest.mark.parametrize("notes, channel, program, role", [
    (bass_line(), 1, 33, "bass"),  # GM 34, fingered electric bass
    (bass_line(), 1, None, "bass"),  # no program: one low note at a time
    (bass_line(), 1, 0, "bass"),  # drawn on a piano: still one low note at a time
    (strum(), 2, 25, "comping"),  # steel-string guitar
    (strum(), 2, None, "comping"),
    (strings(), 3, 48, "pad"),  # string ensemble
    (strings(), 3, 0, "pad"),  # a piano holding whole-bar chords
    (lead(), 4, 73, "lead"),  # flute
    (lead(), 4, 0, "lead"),
    (strum(), 4, 56, "comping"),  # a trumpet section playing chords
    (kit(), 9, None, "drums"),  # channel 10, at 127
    (kit(velocity=12), 9, 0, "drums"),
    (kit(channel=0), 0, 0, "drums"),  # a kit on channel 1: heard from its notes
])
def test_each_part_of_a_band_gets_its_role(notes, channel, program, role):
    assert role_of(notes, channel, program).name == role


def test_a_piano_part_in_both_hands_is_keys():
    """Chords in the left hand under a melody in the right: the sixth role."""
    hands = [Note(48 + step, 70, beat * BEAT, beat * BEAT + 0.4)
             for beat in range(16) for step in (0, 4, 7)] + lead(channel=0)
    assert role_of(hands, 0, 0).name == "keys" and "keys" in ROLES


def test_a_staccato_bass_line_on_the_kits_keys_is_no_kit():
    line = [Note(36 + 2 * (i % 3), 90, i * 0.25, i * 0.25 + 0.1, 1) for i in range(32)]
    assert Playing.of(line).kit_like == 1.0 and role_of(line, 1, None).name == "bass"


def test_the_track_name_says_first_and_the_role_says_why():
    assert role_of(strum(), 2, 25, "Lead Gtr").name == "lead"
    assert role_of(strum(), 2, 25, "Lead Gtr").why == 'track name "Lead Gtr"'
    assert name_role("Bass Drum") == "drums" and name_role("Synth Bass") == "bass"
    assert name_role("Untitled 3") is None
    assert role_of(bass_line(), 1, 0).why == "GM 1, piano, played as a bass part"
    assert role_of(kit(channel=0), 0, 0).why == "a drum kit's notes on channel 1"


def test_every_program_family_has_a_role():
    assert [program_role(p) for p in (0, 9, 17, 25, 33, 40, 45, 49, 57, 66, 74, 81, 89, 97,
                                      105, 116, 121)] == [
        "keys", "keys", "comping", "comping", "bass", "lead", "comping", "pad", "lead", "lead",
        "lead", "lead", "pad", "pad", "lead", "lead", "pad"]


def test_a_part_s_program_and_name_come_from_its_track(tmp_path):
    midi = midi_from_notes(bass_line())
    midi.tracks[0].insert(0, mido.MetaMessage("track_name", name=" Bass ", time=0))
    midi.tracks[0].insert(1, mido.Message("program_change", channel=1, program=33, time=0))
    assert instrument_of(midi, 0, 1) == (33, "Bass")
    assert instrument_of(midi, 0, 5) == (None, "Bass")  # no program for that channel


def test_the_summary_names_each_part_s_role_and_a_kit_off_channel_10(tmp_path, capsys):
    """A band file: each part's role in the summary; the kit on channel 1 is heard as a
    kit, and the summary says how to give it the drums style."""
    notes = bass_line() + strum() + strings() + lead() + kit(channel=0)
    midi = midi_from_notes(notes)
    for channel, program in ((1, 33), (2, 25), (3, 48), (4, 73)):
        midi.tracks[0].insert(0, mido.Message("program_change", channel=channel,
                                              program=program, time=0))
    source = tmp_path / "band.mid"
    midi.save(source)
    code, printed, _ = run(capsys, "humanize", source, "-o", tmp_path / "out.mid")
    assert code == 0, printed
    lines = [line for line in printed.splitlines() if line.startswith("  track")]
    roles = [line.split(": ", 1)[1].split(" (")[0] for line in lines]
    assert roles == ["drums", "bass", "comping", "pad", "lead"]
    assert "give it the drums style with --channel-style 1=drums" in printed


def test_a_part_that_comes_out_flat_says_why_and_a_seed_alone_says_it_changes_nothing(
        tmp_path, capsys):
    """Parts drawn at the top of the range come out shaped, the one drawn at 127 moved
    down to leave its accents room, and the summary says so; a part that comes out flat
    (here: at a low strength) says why, in one line each; --seed without --variation
    changes nothing and says so."""
    from humanizer.examples.arrangements import write_all

    source = next(path for path in write_all(tmp_path / "in") if path.name == "loud.mid")
    code, printed, err = run(capsys, "humanize", source, "-o", tmp_path / "out.mid",
                             "--seed", "3")
    assert code == 0
    spreads = [float(line.split("spread")[1].split(",")[0])
               for line in printed.splitlines() if line.strip().startswith("after:")]
    assert len(spreads) == 4 and min(spreads) >= 3.0 and "nearly flat" not in printed
    assert printed.count("level moved down from the top of the range by 8") == 1
    code, printed, _ = run(capsys, "humanize", source, "-o", tmp_path / "weak.mid",
                           "--strength", "0.1")
    flat = [line for line in printed.splitlines() if "nearly flat" in line]
    spreads = [float(line.split("spread")[1].split(",")[0])
               for line in printed.splitlines() if line.strip().startswith("after:")]
    assert len(flat) == sum(spread < 3.0 for spread in spreads) >= 1
    assert all("at strength 0.1" in line for line in flat)
    assert err.strip() == ""  # a seed picks the take: variation is 1 by default
    code, _, err = run(capsys, "humanize", source, "-o", tmp_path / "mean.mid", "--seed", "3",
                       "--variation", "0")
    assert err.strip() == ("humanizer: --seed changes nothing without --variation (every "
                           "take is the same)")
