"""A MIDI file's chunks as its bytes hold them, whatever its header says.

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
