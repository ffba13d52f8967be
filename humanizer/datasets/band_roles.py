"""A band's roles from POP909: one folder of human-played parts per role, for training.

No human-played bass, guitar, string or brass dynamics are reachable here (DESIGN section
9), so each role of a band is learned from the closest human playing we have - POP909's
pianists, who arranged every song as a melody, a secondary melody and an accompaniment:

- lead:    the MELODY and BRIDGE tracks, each a line of its own (two folders: a song's
           melody and bridge share its relative path, so they fall in the same split);
- comping: the PIANO track, the accompaniment as played;
- bass:    the accompaniment's lowest voice - at each onset its lowest note, where that is
           below BASS_BELOW - a left hand's bass line with the pianist's dynamics;
- pad:     the accompaniment's notes with only the slow part of their dynamics: each
           velocity its local level plus the pianist's deviations averaged over PAD_SECONDS
           (the swell from chord to chord and phrase to phrase; the voicing inside a chord
           and the accent on each note, which a held pad does not have, taken out).

A track whose velocities barely move (POP909's README: some MELODY tracks were edited to a
few values) teaches flatness, so it is left out. Each part is written as NNN/NNN.mid with
the song's tempo track and beat file beside it, so every reader of a POP909 folder (the
DAW case, the meter, the split by song) reads a role's folder unchanged.

    python -m humanizer.datasets.band_roles ../shared/data/pop909 runs/roles
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import mido
import numpy as np

from humanizer.datasets.beats import POP909_BEATS
from humanizer.levels import deviations_of, phrase

BASS_BELOW = 55  # a left hand's bass line lies below G3
PAD_SECONDS = 0.4  # a pad's dynamics: the deviations' Gaussian mean this wide (spread ~5)
PLAYED_SPREAD = 2.5  # below this (velocity steps around the local level) a track was edited
ROLE_FOLDERS = ("melody", "bridge", "comping", "bass", "pad")

# (start tick, end tick, pitch, velocity) of one note
TickNote = tuple[int, int, int, int]


def track_notes(track: mido.MidiTrack) -> list[TickNote]:
    """A track's notes in ticks, sorted by onset then pitch."""
    tick, sounding, notes = 0, {}, []
    for message in track:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding[message.note] = (tick, message.velocity)
        elif message.type in ("note_on", "note_off") and message.note in sounding:
            start, velocity = sounding.pop(message.note)
            notes.append((start, tick, message.note, velocity))
    return sorted(notes, key=lambda note: (note[0], note[2]))


def named_track(midi: mido.MidiFile, name: str) -> list[TickNote]:
    """The notes of the track with this name (none if there is none)."""
    for track in midi.tracks:
        if track.name.strip().upper() == name:
            return track_notes(track)
    return []


def onsets(notes: Sequence[TickNote]) -> dict[int, list[TickNote]]:
    """The notes grouped by onset tick (POP909's onsets are quantized: a chord shares one)."""
    groups: dict[int, list[TickNote]] = {}
    for note in notes:
        groups.setdefault(note[0], []).append(note)
    return groups


def lowest_voice(notes: Sequence[TickNote], below: int = BASS_BELOW) -> list[TickNote]:
    """At each onset the lowest note, where it lies below `below`: the bass line."""
    lowest = (min(group, key=lambda note: note[2]) for group in onsets(notes).values())
    return [note for note in lowest if note[2] < below]


def slow_dynamics(notes: Sequence[TickNote], ticks_per_second: float) -> list[TickNote]:
    """Every note at its local level plus the slow part of the deviations (PAD_SECONDS)."""
    if not notes:
        return []
    times = np.array([note[0] for note in notes]) / ticks_per_second
    velocities = np.array([note[3] for note in notes], dtype=np.float64)
    shaped = deviations_of(times, velocities)
    slow = velocities - shaped + phrase(times, shaped, PAD_SECONDS)
    return [(start, end, pitch, int(np.clip(round(v), 1, 127)))
            for (start, end, pitch, _), v in zip(notes, slow)]


def played(notes: Sequence[TickNote], ticks_per_second: float) -> bool:
    """Whether a part's velocities move as a player's do (not edited to a few values)."""
    if len(notes) < 16:
        return False
    times = np.array([note[0] for note in notes]) / ticks_per_second
    velocities = np.array([note[3] for note in notes], dtype=np.float64)
    return moves_as_played(times, velocities)


def moves_as_played(times: np.ndarray, velocities: np.ndarray) -> bool:
    """Whether velocities (at `times`, seconds) move around their local level as much as
    a player's (PLAYED_SPREAD), not edited to a few values as some of POP909's were."""
    return float(np.std(deviations_of(times, velocities))) >= PLAYED_SPREAD


def part_file(source: mido.MidiFile, notes: Sequence[TickNote], name: str) -> mido.MidiFile:
    """A MIDI file of the source's tempo track and one part, on channel 1."""
    events = [(start, 1, pitch, velocity) for start, _, pitch, velocity in notes]
    events += [(end, 0, pitch, 0) for _, end, pitch, _ in notes]
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    last = 0
    for tick, _, pitch, velocity in sorted(events):  # note-offs before note-ons on a tick
        track.append(mido.Message("note_on", note=pitch, velocity=velocity, time=tick - last))
        last = tick
    midi = mido.MidiFile(ticks_per_beat=source.ticks_per_beat)
    midi.tracks += [source.tracks[0], track]
    return midi


def role_parts(midi: mido.MidiFile, ticks_per_second: float) -> dict[str, list[TickNote]]:
    """Each role folder's part of one song (see the module's docstring)."""
    accompaniment = named_track(midi, "PIANO")
    return {"melody": named_track(midi, "MELODY"), "bridge": named_track(midi, "BRIDGE"),
            "comping": accompaniment, "bass": lowest_voice(accompaniment),
            "pad": slow_dynamics(accompaniment, ticks_per_second)}


def first_tempo(midi: mido.MidiFile) -> int:
    """The song's first tempo (microseconds a beat); POP909's songs keep one."""
    for message in midi.tracks[0]:
        if message.type == "set_tempo":
            return message.tempo
    return 500000


def write_roles(source_root: Path, out_root: Path,
                say: Callable[[str], None] = print) -> dict[str, int]:
    """Write every song's role parts under out_root/<role>/NNN/NNN.mid, each with its beat
    file; the count of parts written per role folder."""
    written = dict.fromkeys(ROLE_FOLDERS, 0)
    for path in sorted(source_root.glob("*/[0-9]*.mid")):
        midi = mido.MidiFile(path)
        ticks_per_second = midi.ticks_per_beat * 1e6 / first_tempo(midi)
        for role, notes in role_parts(midi, ticks_per_second).items():
            if role != "pad" and not played(notes, ticks_per_second):
                continue
            if role == "pad" and not played(named_track(midi, "PIANO"), ticks_per_second):
                continue
            folder = out_root / role / path.parent.name
            folder.mkdir(parents=True, exist_ok=True)
            part_file(midi, notes, role).save(folder / path.name)
            shutil.copy(path.parent / POP909_BEATS, folder / POP909_BEATS)
            written[role] += 1
    say(", ".join(f"{role}: {count} parts" for role, count in written.items()))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m humanizer.datasets.band_roles POP909_FOLDER OUT_FOLDER",
              file=sys.stderr)
        return 2
    write_roles(Path(args[0]), Path(args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
