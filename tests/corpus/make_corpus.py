"""A corpus of valid-but-unusual and damaged MIDI files, generated rather than committed.

Binary fixtures hide what they contain; this script says it. Each file is built with mido
(valid files) or from raw bytes (what mido would refuse to write), and comes with one line
saying what it is and what a user should get from `humanizer humanize` on it:

    "ok: ..."            a humanized copy in which only note_on velocities differ
    "error (WORDS): ..." exit status 2 and one line on stderr containing WORDS

Run it as a script to look at the files: `python tests/corpus/make_corpus.py FOLDER`.
"""

from __future__ import annotations

import io
import random
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import mido

MAX_DELTA = 0x0FFFFFFF  # the largest delta time a 4-byte variable-length quantity holds
TICKS = 480
SEED = 5  # the corpus is the same on every run


# --- raw bytes ----------------------------------------------------------------------------

def vlq(value: int) -> bytes:
    """A MIDI variable-length quantity (delta times, meta and sysex lengths)."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def chunk(name: bytes, data: bytes, length: int | None = None) -> bytes:
    """A chunk; `length` overrides the true data length to make a lying header."""
    return name + struct.pack(">L", len(data) if length is None else length) + data


def header(kind: int, tracks: int, division: int = TICKS) -> bytes:
    """An MThd chunk; division is a signed 16-bit value (negative high byte = SMPTE)."""
    return chunk(b"MThd", struct.pack(">hhh", kind, tracks, division))


END = b"\x00\xff\x2f\x00"  # delta 0, end_of_track


def to_bytes(midi: mido.MidiFile) -> bytes:
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


# --- valid files built with mido ----------------------------------------------------------

def melody(channel: int = 0, count: int = 32, first: int = 60, velocity: int = 80,
           step: int = TICKS // 2, span: int = 24) -> list[mido.Message]:
    """Flat-velocity notes on a grid, as a DAW user would draw them (pitches first..+span)."""
    messages = []
    for i in range(count):
        pitch = first + (i * 5) % span
        messages.append(mido.Message("note_on", channel=channel, note=pitch,
                                     velocity=velocity, time=0 if i == 0 else step // 2))
        messages.append(mido.Message("note_off", channel=channel, note=pitch, velocity=64,
                                     time=step - step // 2))
    return messages


def reference() -> mido.MidiFile:
    """A plain type 1 file: tempo map with a change, a named piano track with controllers."""
    tempo = mido.MidiTrack([
        mido.MetaMessage("track_name", name="tempo"),
        mido.MetaMessage("time_signature", numerator=3, denominator=4),
        mido.MetaMessage("set_tempo", tempo=600_000),
        mido.MetaMessage("set_tempo", tempo=400_000, time=TICKS * 8),
    ])
    piano = mido.MidiTrack([
        mido.MetaMessage("track_name", name="piano"),
        mido.Message("program_change", program=0),
        mido.Message("control_change", control=64, value=127),
        *melody(count=48),
        mido.Message("pitchwheel", pitch=-2000),
        mido.Message("control_change", control=64, value=0),
    ])
    return mido.MidiFile(type=1, ticks_per_beat=TICKS, tracks=[tempo, piano])


def type0() -> mido.MidiFile:
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500_000), *melody()])
    return mido.MidiFile(type=0, ticks_per_beat=96, tracks=[track])


def type2() -> mido.MidiFile:
    """Independent patterns, each with its own tempo (tempo maps are per track)."""
    tracks = [mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo),
                              *melody(first=48 + 12 * i, count=16)])
              for i, tempo in enumerate((500_000, 300_000, 900_000))]
    return mido.MidiFile(type=2, ticks_per_beat=TICKS, tracks=tracks)


def note_on_zero_off() -> mido.MidiFile:
    """Note-offs written as note_on velocity 0 (most sequencers do this)."""
    track = mido.MidiTrack(
        mido.Message("note_on", note=m.note, velocity=0, time=m.time)
        if m.type == "note_off" else m for m in melody(count=24))
    return mido.MidiFile(type=0, tracks=[track])


def zero_length_and_overlapping() -> mido.MidiFile:
    """Zero-length notes, and the same pitch struck again while it still sounds."""
    on = lambda note, t=0, v=90: mido.Message("note_on", note=note, velocity=v, time=t)  # noqa: E731
    off = lambda note, t=0: mido.Message("note_off", note=note, time=t)  # noqa: E731
    track = mido.MidiTrack([
        on(60), off(60),  # zero length
        on(62, TICKS), on(62, TICKS // 4, 70), on(62, TICKS // 4, 50),  # three stacked
        off(62, TICKS), off(62, 10), off(62, 10),
        on(64, TICKS), mido.Message("note_on", note=64, velocity=0), on(64, 0, 100),
        off(64, TICKS),
        off(65, TICKS),  # a note_off for a note that never started
        on(67, TICKS),  # a note never ended: sounds to the end of the track
        *melody(count=16),
    ])
    return mido.MidiFile(type=0, tracks=[track])


def huge_delta() -> mido.MidiFile:
    """Notes separated by the largest delta time (~78 hours at 120 bpm), and a note held
    across it."""
    track = mido.MidiTrack([
        *melody(count=8),
        mido.Message("note_on", note=72, velocity=80),
        mido.Message("note_on", note=48, velocity=80, time=MAX_DELTA),
        mido.Message("note_off", note=72, time=TICKS),
        *melody(count=8),
    ])
    return mido.MidiFile(type=0, tracks=[track])


def sysex(length: int) -> mido.MidiFile:
    data = [(i * 7) % 128 for i in range(length)]
    track = mido.MidiTrack([mido.Message("sysex", data=[0x7E, 0x7F, 0x09, 0x01]),
                            mido.Message("sysex", data=data), *melody(count=16)])
    return mido.MidiFile(type=0, tracks=[track])


def all_channels() -> mido.MidiFile:
    """One track per MIDI channel, channel 10 (index 9) included."""
    tracks = [mido.MidiTrack([mido.Message("program_change", channel=c, program=c),
                              *melody(channel=c, count=12, first=36 + 3 * c,
                                      velocity=40 + 5 * c)])
              for c in range(16)]
    return mido.MidiFile(type=1, tracks=tracks)


def meta_only() -> mido.MidiFile:
    track = mido.MidiTrack([
        mido.MetaMessage("track_name", name="no notes here"),
        mido.MetaMessage("set_tempo", tempo=450_000),
        mido.MetaMessage("key_signature", key="Eb"),
        mido.MetaMessage("marker", text="A", time=TICKS * 4),
        mido.MetaMessage("text", text="the end", time=TICKS * 4),
    ])
    return mido.MidiFile(type=0, tracks=[track])


def off_keyboard() -> mido.MidiFile:
    """Notes only below A0 and above C8: the model has no input for them."""
    messages = melody(count=8, first=0, span=21) + melody(count=8, first=109, span=19)
    return mido.MidiFile(type=0, tracks=[mido.MidiTrack(messages)])


# --- files mido would not write: raw bytes -------------------------------------------------

def running_status() -> bytes:
    """Note-ons and velocity-0 note-offs sharing one status byte, as hardware writes them."""
    events = bytearray(b"\x00\x90\x3c\x50")  # note_on C4 80 with its status byte
    for i in range(1, 24):
        events += vlq(TICKS // 4) + bytes([0x3C + i - 1, 0])  # previous note off (vel 0)
        events += vlq(0) + bytes([0x3C + i, 0x50])  # next note on, no status byte
    events += vlq(TICKS // 4) + bytes([0x3C + 23, 0])
    events += b"\x00\xb0\x40\x7f" + b"\x10\x40\x00"  # controller, then running status
    return header(0, 1) + chunk(b"MTrk", bytes(events) + END)


def melody_bytes() -> bytes:
    """The body of a track of eight notes (no end_of_track), in raw bytes."""
    body = bytearray()
    for i in range(8):
        body += b"\x00" + bytes([0x90, 60 + i, 80]) + vlq(TICKS) + bytes([0x80, 60 + i, 0])
    return bytes(body)


def no_end_of_track() -> bytes:
    return header(1, 2) + chunk(b"MTrk", melody_bytes()) + chunk(b"MTrk", melody_bytes())


def empty_track() -> bytes:
    """A zero-length track chunk next to a normal one."""
    return header(1, 2) + chunk(b"MTrk", b"") + chunk(b"MTrk", melody_bytes() + END)


def long_header() -> bytes:
    """An MThd chunk longer than 6 bytes: the spec says to skip what follows."""
    data = struct.pack(">hhh", 0, 1, TICKS) + b"\x00\x00"
    return chunk(b"MThd", data) + chunk(b"MTrk", melody_bytes() + END)


def with_trailing(extra: bytes) -> bytes:
    return to_bytes(reference()) + extra


def track_lengths(data: bytes) -> list[int]:
    """Offsets of each MTrk chunk's length field in a well-formed file."""
    offsets, at = [], 14
    while at < len(data):
        offsets.append(at + 4)
        at += 8 + struct.unpack(">L", data[at + 4:at + 8])[0]
    return offsets


def lying_length(delta: int, track: int = -1) -> bytes:
    """The reference file with one track's length field off by `delta` bytes."""
    data = bytearray(to_bytes(reference()))
    at = track_lengths(bytes(data))[track]
    length = struct.unpack(">L", data[at:at + 4])[0] + delta
    data[at:at + 4] = struct.pack(">L", length)
    return bytes(data)


def mid_event_cut() -> bytes:
    """Cut between a note_on's status byte and its data bytes."""
    data = to_bytes(reference())
    return data[:data.index(bytes([0x90, 60, 80])) + 2]


def garbage(length: int) -> bytes:
    return random.Random(SEED).randbytes(length)


def smpte() -> bytes:
    """SMPTE division: -25 frames per second, 40 ticks per frame (millisecond ticks)."""
    division = struct.unpack(">h", bytes([0xE7, 40]))[0]
    return header(0, 1, division) + chunk(b"MTrk", melody_bytes() + END)


def header_says(kind: int, tracks: int) -> bytes:
    """Two valid tracks under a header whose type or count does not fit them."""
    body = chunk(b"MTrk", melody_bytes() + END)
    return header(kind, tracks) + body + body


def alien_chunk() -> bytes:
    """An unknown chunk between tracks; the spec says readers should skip it."""
    data = to_bytes(reference())
    second = track_lengths(data)[1] - 4
    return data[:second] + chunk(b"XFIH", b"vendor data") + data[second:]


def bad_bytes(event: bytes) -> bytes:
    """A track whose second event is `event` (delta time included)."""
    return header(0, 1) + chunk(b"MTrk", b"\x00\x90\x3c\x50" + event + END)


# --- the corpus ----------------------------------------------------------------------------

def events_after_end() -> bytes:
    """Eight notes, end_of_track, then four more notes in the same chunk."""
    after = b"".join(b"\x00\x90" + bytes([72 + i, 90]) + b"\x60\x80" + bytes([72 + i, 0])
                     for i in range(4))
    return header(0, 1) + chunk(b"MTrk", melody_bytes() + END + after)


def sparse() -> bytes:
    """Notes as far apart as a delta time can put them."""
    body = b"".join(vlq(0 if i == 0 else MAX_DELTA - 96) + bytes([0x90, 40 + i % 40, 80])
                    + vlq(96) + bytes([0x80, 40 + i % 40, 0]) for i in range(200))
    return header(0, 1) + chunk(b"MTrk", body + END)


def cut(length: int) -> bytes:
    """The first `length` bytes of the reference file (negative: all but the last)."""
    return to_bytes(reference())[:length]


# File name -> (description, builder). A description starts with the expected outcome; the
# builders run only when the files are written, so listing the names costs nothing.
CORPUS: dict[str, tuple[str, Callable[[], bytes | mido.MidiFile]]] = {
    "reference.mid": ("ok: type 1, tempo change, controllers, pitch bend", reference),
    "type0.mid": ("ok: type 0, 96 ticks per beat", type0),
    "type2.mid": ("ok: type 2, three tracks with their own tempi", type2),
    "running_status.mid": ("ok: running status is valid MIDI", running_status),
    "note_on_zero_off.mid": ("ok: note_on velocity 0 as note-off; those stay 0",
                             note_on_zero_off),
    "zero_length_overlapping.mid": ("ok: zero-length, stacked same-pitch and unended notes",
                                    zero_length_and_overlapping),
    "huge_delta.mid": (f"ok: delta time {MAX_DELTA:#x} ticks between notes", huge_delta),
    "sysex_short.mid": ("ok: a short sysex", lambda: sysex(4)),
    "sysex_long.mid": ("ok: a 100 kB sysex", lambda: sysex(100_000)),
    "all_channels.mid": ("ok: notes on all 16 channels", all_channels),
    "meta_only.mid": ("ok: no notes, only meta events; copied unchanged", meta_only),
    "off_keyboard.mid": ("ok: notes only off the 88 keys; copied unchanged", off_keyboard),
    "no_end_of_track.mid": ("ok: tracks without end_of_track (the copy gains one)",
                            no_end_of_track),
    "empty_track.mid": ("ok: a zero-length track chunk (the copy gains end_of_track)",
                        empty_track),
    "long_header.mid": ("ok: an MThd chunk longer than 6 bytes", long_header),
    "trailing_garbage.mid": ("ok: junk after the last track is ignored (and not copied)",
                             lambda: to_bytes(reference()) + garbage(64)),
    "short_last_track.mid": ("ok: the last track's length leaves out its end_of_track; every "
                             "event is read, the rest is trailing junk",
                             lambda: lying_length(-4)),
    "realtime_in_track.mid": ("ok: clock, start and active-sensing bytes inside a track "
                              "(left out: a MIDI file may not hold them)",
                              lambda: bad_bytes(b"\x10\xf8\x10\xfa\x10\xfe")),
    "tune_request.mid": ("ok: a tune request inside a track (left out)",
                         lambda: bad_bytes(b"\x10\xf6")),
    "events_after_end.mid": ("ok: notes after the end_of_track, which players ignore "
                             "(left out, not made audible)", events_after_end),
    "sparse.mid": ("ok: 200 notes 2^28 ticks apart (days of silence between them)", sparse),
    "long_delta.mid": ("error (4 bytes): a delta time in a 5-byte variable-length quantity",
                       lambda: bad_bytes(b"\x81\x80\x80\x80\x00\x90\x3c\x50")),
    "empty.mid": ("error (empty or truncated): zero bytes", lambda: b""),
    "truncated_header.mid": ("error (empty or truncated): cut in MThd", lambda: cut(10)),
    "truncated_track_header.mid": ("error (empty or truncated): cut in an MTrk header",
                                   lambda: cut(14 + 6)),
    "truncated_track.mid": ("error (empty or truncated): cut in the last track",
                            lambda: cut(-20)),
    "truncated_mid_event.mid": ("error (empty or truncated): cut inside a note_on",
                                mid_event_cut),
    "chunk_too_long.mid": ("error (empty or truncated): a track length 100 bytes past the "
                           "end of the file", lambda: lying_length(+100)),
    "chunk_too_short.mid": ("error (empty or truncated): a track length ending inside an "
                            "event; reading runs past the end", lambda: lying_length(-3)),
    "short_first_track.mid": ("error (MTrk): the first track's length ends before its "
                              "end_of_track, which is read as the next chunk",
                              lambda: lying_length(-4, track=0)),
    "tracks_missing.mid": ("error (empty or truncated): header promises 3 tracks, file has 2",
                           lambda: header_says(1, 3)),
    "type0_two_tracks.mid": ("error (type 0): type 0 with 2 tracks", lambda: header_says(0, 2)),
    "type7.mid": ("error (type 7): no such MIDI file type", lambda: header_says(7, 2)),
    "garbage.mid": ("error (not a MIDI file): random bytes", lambda: garbage(2000)),
    "garbage_after_header.mid": ("error (MTrk): random bytes after a valid MThd",
                                 lambda: header(1, 2) + garbage(2000)),
    "alien_chunk.mid": ("error (MTrk): an unknown chunk between tracks (the spec says skip "
                        "it; mido cannot)", alien_chunk),
    "smpte.mid": ("error (SMPTE): SMPTE time division", smpte),
    "zero_division.mid": ("error (0 ticks per beat): division 0",
                          lambda: header(0, 1, 0) + chunk(b"MTrk", melody_bytes() + END)),
    "orphan_data_byte.mid": ("error (running status): a data byte before any status byte",
                             lambda: header(0, 1) + chunk(b"MTrk", b"\x00\x3c\x50" + END)),
    "data_byte_over_127.mid": ("error (0..127): a velocity byte of 200",
                               lambda: bad_bytes(b"\x00\x90\x3c\xc8")),
    "undefined_status.mid": ("error (undefined status): status byte 0xf4",
                             lambda: bad_bytes(b"\x00\xf4\x00")),
    "sysex_over_limit.mid": ("error (maximum length): a valid sysex over mido's 1 MB "
                             "message limit", lambda: sysex(1_000_001)),
}


def make_corpus(folder: Path) -> dict[str, str]:
    """Write every corpus file into folder; return file name -> description."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (_, build) in CORPUS.items():
        content = build()
        data = to_bytes(content) if isinstance(content, mido.MidiFile) else content
        (folder / name).write_bytes(data)
    return {name: description for name, (description, _) in CORPUS.items()}


def many_notes(path: Path, count: int = 100_000) -> Path:
    """A long type 1 piano part of `count` notes: chords and runs on a 16th grid, flat
    velocity, the way a DAW exports a long arrangement."""
    rng = random.Random(SEED)
    events = []
    for i in range(count):
        start = (i // 3) * (TICKS // 4)  # three notes per 16th
        pitch = rng.randrange(21, 109)
        events.append((start + rng.choice((TICKS // 8, TICKS // 4, TICKS)), 0, pitch))
        events.append((start, 1, pitch))
    events.sort()
    track, now = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500_000)]), 0
    for tick, is_on, pitch in events:
        kind = "note_on" if is_on else "note_off"
        track.append(mido.Message(kind, note=pitch, velocity=72 if is_on else 0,
                                  time=tick - now))
        now = tick
    mido.MidiFile(type=1, tracks=[track]).save(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for file_name, text in make_corpus(target).items():
        print(f"{file_name:32} {text}")
