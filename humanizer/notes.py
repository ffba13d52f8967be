"""Notes, and MIDI files <-> notes without losing anything else in the file.

A humanized file must differ from its input only in what the model changed. So a file is
never rebuilt from notes: it is read once with mido, its notes are listed with a reference
to the note_on message each came from, and writing changes exactly those messages. Every
other event, track, channel, the tempo map and the tick resolution stay as they were.
"""

from __future__ import annotations

import io
import os
import tempfile
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mido

from humanizer import midichunks
from humanizer.errors import HumanizerError

MAX_DELTA = 0x0FFFFFFF  # the largest delta time the 4 bytes of a MIDI file hold
UNFILEABLE = {"clock", "start", "continue", "stop", "active_sensing", "reset",
              "tune_request"}  # mido refuses to write these into a file
LOWEST_KEY = 21  # A0, the lowest piano key
HIGHEST_KEY = 108  # C8, the highest piano key


@dataclass(frozen=True, slots=True)
class Note:
    """One sounding note. Times are seconds from the start of the file (or stream)."""

    pitch: int
    velocity: int
    start: float
    end: float
    channel: int = 0
    track: int = 0
    index: int = -1  # position of the note_on message in its track; -1 if not from a file

    @property
    def on_keyboard(self) -> bool:
        """Notes outside the 88 keys are passed through untouched (the model has no input
        for them)."""
        return LOWEST_KEY <= self.pitch <= HIGHEST_KEY


class TempoMap:
    """Converts absolute ticks to seconds through a list of tempo changes."""

    def __init__(self, ticks_per_beat: int, changes: Sequence[tuple[int, int]]):
        self.ticks_per_beat = ticks_per_beat
        ticks = [0]
        tempos = [500_000]  # MIDI default: 120 bpm
        seconds = [0.0]
        for tick, tempo in sorted(changes, key=lambda change: change[0]):
            seconds.append(seconds[-1] + self._span(tick - ticks[-1], tempos[-1]))
            ticks.append(tick)
            tempos.append(tempo)
        self._ticks, self._tempos, self._seconds = ticks, tempos, seconds

    def _span(self, ticks: int, tempo: int) -> float:
        return ticks * tempo / 1e6 / self.ticks_per_beat

    def seconds(self, tick: int) -> float:
        i = bisect_right(self._ticks, tick) - 1
        return self._seconds[i] + self._span(tick - self._ticks[i], self._tempos[i])

    def tick(self, seconds: float) -> int:
        """The nearest tick at a time in seconds (the inverse of `seconds`)."""
        i = max(bisect_right(self._seconds, seconds) - 1, 0)
        per_tick = self._tempos[i] / 1e6 / self.ticks_per_beat
        return self._ticks[i] + round((seconds - self._seconds[i]) / per_tick)


@dataclass
class NoteFile:
    """A MIDI file as read, with the notes found in it (sorted by start, then pitch)."""

    midi: mido.MidiFile
    notes: list[Note] = field(default_factory=list)
    duration: float = 0.0
    dropped: int = 0  # events a MIDI file may not hold, or after a track's end: not copied


def keyboard(notes: Sequence[Note]) -> list[Note]:
    """The notes on the 88 piano keys: those a style hears."""
    return [note for note in notes if note.on_keyboard]


def instrument_of(midi: mido.MidiFile, track: int, channel: int) -> tuple[int | None, str]:
    """The General MIDI program (0-127) a part's track sets for its channel - or, where
    that track sets none, the first another track sets for it (None: none does) - and the
    track's name ("" if it has none)."""
    def first_program(messages: mido.MidiTrack) -> int | None:
        return next((message.program for message in messages
                     if message.type == "program_change" and message.channel == channel),
                    None)

    own = midi.tracks[track] if 0 <= track < len(midi.tracks) else mido.MidiTrack()
    program = first_program(own)
    if program is None:
        program = next((found for other in midi.tracks
                        if (found := first_program(other)) is not None), None)
    name = next((message.name for message in own if message.type == "track_name"), "")
    return program, name.strip()


def not_a_file(path: Path) -> str:
    """What a path that is no regular file is, in words: a folder, a link to nothing, a
    pipe or device, or nothing at all."""
    if path.is_symlink() and not path.exists():
        return f"a link to {os.readlink(path)}, which does not exist"
    if path.is_dir():
        return "is a folder, not a MIDI file"
    if path.exists():
        return "not a regular file (a pipe or a device): give a MIDI file"
    return "no such file"


def read(path: str | os.PathLike) -> NoteFile:
    """Read a MIDI file; a missing, empty, truncated or damaged file is a HumanizerError."""
    path = Path(path)
    if not path.is_file():
        raise HumanizerError(f"{path}: {not_a_file(path)}")
    try:
        data = path.read_bytes()
    except OSError as error:  # no permission to read it, a device, ...
        raise HumanizerError(f"{path}: cannot read the file ({error.strerror or error})"
                             ) from None
    if data and not b"MThd".startswith(data[:4]):
        raise HumanizerError(f"{path}: not a MIDI file")
    try:
        midi = mido.MidiFile(file=io.BytesIO(midichunks.packets_as_meta(
            midichunks.every_track(data))), clip=False)
    except EOFError:
        raise HumanizerError(f"{path}: the file is empty or truncated") from None
    except OSError as error:
        if "MThd" in str(error):
            raise HumanizerError(f"{path}: not a MIDI file") from None
        raise HumanizerError(f"{path}: cannot read the file ({error})") from None
    except Exception as error:  # mido raises ValueError/KeyError/IndexError on bad bytes
        raise HumanizerError(f"{path}: the MIDI file is damaged ({error})") from None
    # mido reads any header but writes only what the standard allows: check here, so a
    # damaged header is an error before the work and not a crash when writing
    if midi.type not in (0, 1, 2):
        raise HumanizerError(f"{path}: the MIDI file is damaged (type {midi.type}; "
                             "only types 0, 1 and 2 exist)")
    if midi.type == 0 and len(midi.tracks) != 1:
        raise HumanizerError(f"{path}: the MIDI file is damaged (type 0 with "
                             f"{len(midi.tracks)} tracks; type 0 has exactly one)")
    if midi.ticks_per_beat < 0:  # mido reads the division signed: SMPTE is negative
        raise HumanizerError(f"{path}: SMPTE time code files are not supported")
    if midi.ticks_per_beat == 0:
        raise HumanizerError(f"{path}: the MIDI file is damaged (0 ticks per beat)")
    if any(message.type == "set_tempo" and message.tempo == 0
           for track in midi.tracks for message in track):
        raise HumanizerError(f"{path}: the MIDI file is damaged (a tempo of 0 microseconds a "
                             "beat: no time would pass)")
    if any(message.time > MAX_DELTA for track in midi.tracks for message in track):
        raise HumanizerError(f"{path}: the MIDI file is damaged (a delta time longer than "
                             "the 4 bytes MIDI files allow)")
    dropped = sum(keep_what_plays(track) for track in midi.tracks)
    notes, duration = notes_of(midi)
    return NoteFile(midi=midi, notes=notes, duration=duration, dropped=dropped)


def keep_what_plays(track: mido.MidiTrack) -> int:
    """Remove, in place, what a player ignores and a MIDI file may not hold: System
    Real-Time and Tune Request messages (their time goes to the next event, so nothing
    else moves) and every event after the first end_of_track. How many were removed."""
    kept, carried, removed = [], 0, 0
    for message in track:
        if message.type in UNFILEABLE:
            carried += message.time
            removed += 1
            continue
        kept.append(message.copy(time=message.time + carried) if carried else message)
        carried = 0
        if message.type == "end_of_track":
            removed += len(track) - len(kept) - removed
            break
    if removed:
        track[:] = kept
    return removed


def tempo_maps(midi: mido.MidiFile) -> list[TempoMap]:
    """One tempo map per track: shared by all tracks (types 0 and 1), own (type 2)."""

    def changes(track: mido.MidiTrack) -> list[tuple[int, int]]:
        tick, found = 0, []
        for message in track:
            tick += message.time
            if message.type == "set_tempo":
                found.append((tick, message.tempo))
        return found

    if midi.type == 2:
        return [TempoMap(midi.ticks_per_beat, changes(track)) for track in midi.tracks]
    shared = TempoMap(midi.ticks_per_beat, [c for track in midi.tracks for c in changes(track)])
    return [shared] * len(midi.tracks)


def notes_of(midi: mido.MidiFile) -> tuple[list[Note], float]:
    """All notes of a file and its duration in seconds.

    A note_on with velocity 0 ends a note. Overlapping notes of the same pitch and channel
    end first-in, first-out. A note never ended sounds until the end of its track.
    """
    notes: list[Note] = []
    duration = 0.0
    for track_number, (track, tempo) in enumerate(zip(midi.tracks, tempo_maps(midi))):
        sounding: dict[tuple[int, int], deque[tuple[float, int, int]]] = defaultdict(deque)
        tick = 0
        for index, message in enumerate(track):
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                key = (message.channel, message.note)
                sounding[key].append((tempo.seconds(tick), message.velocity, index))
            elif message.type in ("note_off", "note_on"):
                started = sounding.get((message.channel, message.note))
                if started:
                    start, velocity, on_index = started.popleft()
                    notes.append(Note(message.note, velocity, start, tempo.seconds(tick),
                                      message.channel, track_number, on_index))
        end = tempo.seconds(tick)
        duration = max(duration, end)
        for (channel, pitch), started in sounding.items():
            for start, velocity, on_index in started:
                notes.append(Note(pitch, velocity, start, end, channel, track_number, on_index))
    notes.sort(key=lambda n: (n.start, n.pitch, n.channel, n.track, n.index))
    return notes, duration


def with_velocities(note_file: NoteFile, velocities: Sequence[int]) -> mido.MidiFile:
    """A copy of the file in which each note's note_on carries the given velocity.

    The tracks are new lists; the messages not replaced are shared with the input (nothing
    here changes a message in place). A deep copy of every message, and mido's checks of
    each copied note_on, cost a quarter of the time of humanizing a 100k-note file.
    """
    if len(velocities) != len(note_file.notes):
        raise ValueError("one velocity per note is needed")
    source = note_file.midi
    midi = mido.MidiFile(type=source.type, ticks_per_beat=source.ticks_per_beat,
                         charset=source.charset, clip=source.clip,
                         tracks=[mido.MidiTrack(track) for track in source.tracks])
    for note, velocity in zip(note_file.notes, velocities):
        track = midi.tracks[note.track]
        clipped = int(min(127, max(1, velocity)))  # valid by construction: skip mido's checks
        track[note.index] = track[note.index].copy(skip_checks=True, velocity=clipped)
    return midi


def write_atomic(midi: mido.MidiFile, path: str | os.PathLike) -> None:
    """Write a MIDI file so that the path holds either the whole new file or nothing new."""
    buffer = io.BytesIO()
    midi.save(file=buffer)
    write_bytes_atomic(midichunks.meta_as_packets(buffer.getvalue()), path)


def write_bytes_atomic(data: bytes, path: str | os.PathLike) -> None:
    """Write a file (MIDI, a page, a sound) whole or not at all, with the mode a new file
    gets or the replaced file had."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name keeps at most 200 bytes of the file's name: a legal 250-byte name
    # with the prefix and suffix around it ran past the file system's 255 and was refused
    stem = os.fsencode(path.name)[:200].decode(errors="ignore")
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_mode(path: Path) -> int:
    """The mode a new file would get (mkstemp's are private), or the replaced file's."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def midi_from_notes(notes: Sequence[Note], ticks_per_beat: int = 480,
                    tempo: int = 500_000) -> mido.MidiFile:
    """A type 0 file playing the given notes (for examples, tests and generated parts)."""

    def tick(seconds: float) -> int:
        return round(seconds * 1e6 / tempo * ticks_per_beat)

    events = []
    for note in notes:
        # at the same tick, note-offs go first (a repeated note re-strikes), except the
        # note-off of a zero-length note, which must follow its own note-on
        zero_length = tick(note.end) <= tick(note.start)
        events.append((max(tick(note.end), tick(note.start)), 2 if zero_length else 0, mido.Message(
            "note_off", channel=note.channel, note=note.pitch, velocity=0)))
        events.append((tick(note.start), 1, mido.Message(
            "note_on", channel=note.channel, note=note.pitch, velocity=note.velocity)))
    events.sort(key=lambda event: (event[0], event[1]))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo, time=0)])
    now = 0
    for at, _, message in events:
        track.append(message.copy(time=at - now))
        now = at
    track.append(mido.MetaMessage("end_of_track", time=0))
    return mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat, tracks=[track])
