"""A MIDI file's bytes where mido would change their meaning: its track chunks, whatever
its header says, and a sysex split into packets.

mido reads as many tracks as the header counts, and reads that count signed: a header
counting fewer tracks than the file holds lost the others' notes, and one counting 0 or
0xFFFF (-1) lost every track, all with exit 0 (issue 36, item 10). Here the track chunks
are counted in the bytes, so the reader can take every one of them.
"""

from __future__ import annotations

import struct

HEADER = b"MThd"
TRACK = b"MTrk"


def track_chunks(data: bytes) -> int:
    """How many whole track chunks follow the header (a truncated last one is not)."""
    if data[:4] != HEADER or len(data) < 14:
        return 0
    at, found = 8 + struct.unpack(">I", data[4:8])[0], 0
    while at + 8 <= len(data):
        kind, length = data[at:at + 4], struct.unpack(">I", data[at + 4:at + 8])[0]
        if at + 8 + length > len(data):
            break
        found += kind == TRACK
        at += 8 + length
    return found


def header_count(data: bytes) -> int:
    """The track count the header says (unsigned, as the standard means it)."""
    return struct.unpack(">H", data[10:12])[0] if len(data) >= 12 else 0


def every_track(data: bytes) -> bytes:
    """The file's bytes with a header counting every whole track chunk they hold, where it
    counts fewer, or a count mido would read as negative; as they are otherwise (a header
    counting more than the file holds is a truncated file: the reader says so)."""
    counted, found = header_count(data), track_chunks(data)
    if found > counted or (found and counted >= 0x8000):
        return data[:10] + struct.pack(">H", found) + data[12:]
    return data


# A sysex split into packets - an F0 event whose bytes do not end with F7, then F7 events
# carrying the rest - is read by mido as whole messages and written back as two complete
# F0 ... F7 messages: not the bytes the file held (issue 36, item 10). Such events travel
# through the reader and writer as sequencer-specific meta events marked PACKET, which
# mido keeps as they are, and are turned back into their exact bytes in the output.
PACKET = b"humanizer:sysex-packet:"
_DATA_BYTES = {0x8: 2, 0x9: 2, 0xA: 2, 0xB: 2, 0xC: 1, 0xD: 1, 0xE: 2}


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """A variable-length quantity at `at`: its value and where the next byte is."""
    value = 0
    for end in range(at, min(at + 4, len(data))):
        value = (value << 7) | (data[end] & 0x7F)
        if not data[end] & 0x80:
            return value, end + 1
    raise ValueError("not a variable-length quantity")


def _encode_varint(value: int) -> bytes:
    groups = [value & 0x7F]
    while value := value >> 7:
        groups.append(0x80 | (value & 0x7F))
    return bytes(reversed(groups))


def _events(track: bytes) -> list[tuple[int, int, int, bytes | None]]:
    """Each event of a track's bytes: (its start, where its status byte is, its end, and
    for a sysex event its payload). A ValueError where the bytes are no track."""
    events, at, running = [], 0, None
    while at < len(track):
        start = at
        _, at = _varint(track, at)
        if at >= len(track):
            raise ValueError("an event with no status")
        status, payload = track[at], None
        if status == 0xFF:
            length, end = _varint(track, at + 2)
        elif status in (0xF0, 0xF7):
            length, begin = _varint(track, at + 1)
            end, payload = begin + length, track[begin:begin + length]
            length = 0
        elif status & 0x80:
            if status >> 4 not in _DATA_BYTES:
                raise ValueError("a system message inside a track")
            running, length, end = status, _DATA_BYTES[status >> 4], at + 1
        elif running is not None:
            length, end = _DATA_BYTES[running >> 4], at
        else:
            raise ValueError("running status with no status before")
        end += length
        if end > len(track):
            raise ValueError("an event past the track's end")
        events.append((start, at, end, payload))
        at = end
    return events


def _rewrite_tracks(data: bytes, rewrite) -> bytes:  # noqa: ANN001 - (status, payload) -> bytes
    """The file's bytes with each track's events passed through `rewrite` (it returns an
    event's new bytes after its delta time, or None to keep it); as they are where a track
    cannot be walked (the reader then says what is wrong)."""
    if data[:4] != HEADER or len(data) < 14:
        return data
    at = 8 + struct.unpack(">I", data[4:8])[0]
    out = bytearray(data[:at])
    while at + 8 <= len(data):
        kind, length = data[at:at + 4], struct.unpack(">I", data[at + 4:at + 8])[0]
        body = data[at + 8:at + 8 + length]
        if kind == TRACK:
            body = _rewrite_track(body, rewrite)
        out += kind + struct.pack(">I", len(body)) + body
        at += 8 + length
    return bytes(out + data[at:])


def _rewrite_track(track: bytes, rewrite) -> bytes:  # noqa: ANN001
    try:
        events = _events(track)
    except ValueError:
        return track
    out = bytearray()
    for start, status_at, end, payload in events:
        new = rewrite(track[status_at], payload, track[status_at:end])
        out += track[start:end] if new is None else track[start:status_at] + new
    return bytes(out)


def packets_as_meta(data: bytes) -> bytes:
    """A file's bytes with its sysex packets (an F0 event not ending in F7, every F7 event)
    as PACKET meta events, which mido reads and writes as they are."""
    if b"\xf0" not in data and b"\xf7" not in data:
        return data

    def rewrite(status: int, payload: bytes | None, event: bytes) -> bytes | None:
        if payload is None or (status == 0xF0 and payload.endswith(b"\xf7")):
            return None
        inner = PACKET + bytes([status]) + payload
        return b"\xff\x7f" + _encode_varint(len(inner)) + inner

    return _rewrite_tracks(data, rewrite)


def meta_as_packets(data: bytes) -> bytes:
    """The bytes to write: each PACKET meta event back as the sysex packet it was."""
    if PACKET not in data:
        return data

    def rewrite(status: int, payload: bytes | None, event: bytes) -> bytes | None:
        if status != 0xFF or event[1] != 0x7F:
            return None
        _, begin = _varint(event, 2)
        inner = event[begin:]
        if not inner.startswith(PACKET) or len(inner) <= len(PACKET):
            return None
        packet = inner[len(PACKET):]
        return packet[:1] + _encode_varint(len(packet) - 1) + packet[1:]

    return _rewrite_tracks(data, rewrite)
