"""What "only the velocities changed" means, shared by the malformed-file and property tests."""

from __future__ import annotations

from pathlib import Path

import mido

from humanizer.notes import keep_what_plays, read


def assert_only_velocities_changed(before_path: Path, after_path: Path) -> int:
    """Every message of every track equal except note_on velocities (>0 stays in 1..127,
    0 stays 0), type and resolution kept; returns how many velocities changed.

    mido's writer ends every track with one end_of_track, so a track that had none gains
    one; and what no player hears and no MIDI file may hold (real-time messages, events
    after a track's end) is left out - the only other differences allowed.
    """
    before, after = mido.MidiFile(before_path), mido.MidiFile(after_path)
    for track in before.tracks:
        keep_what_plays(track)
    assert (after.type, after.ticks_per_beat) == (before.type, before.ticks_per_beat)
    assert len(after.tracks) == len(before.tracks)
    changed = 0
    for old_track, new_track in zip(before.tracks, after.tracks):
        old_track = list(old_track)
        if not old_track or old_track[-1].type != "end_of_track":
            old_track.append(mido.MetaMessage("end_of_track"))
        assert len(new_track) == len(old_track)
        for old, new in zip(old_track, new_track):
            if old.type == "note_on" and old.velocity > 0:
                assert new.type == "note_on" and 1 <= new.velocity <= 127
                assert old.copy(velocity=new.velocity) == new
                changed += old.velocity != new.velocity
            else:
                assert old == new
    return changed


def assert_notes_kept(before_path: Path, after_path: Path) -> None:
    """The notes as humanizer reads them: same times, pitches and channels; notes off the
    88 keys keep their velocity."""
    before, after = read(before_path).notes, read(after_path).notes
    assert len(after) == len(before)
    for old, new in zip(before, after):
        assert (old.pitch, old.start, old.end, old.channel) == \
            (new.pitch, new.start, new.end, new.channel)
        if not old.on_keyboard:
            assert new.velocity == old.velocity
