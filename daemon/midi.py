"""MIDI message kinds as the daemon sees them (raw rtmidi messages: lists of ints).

The status bytes and controller numbers are python-rtmidi's own constants, so nothing
here is a hand-written byte.
"""

from __future__ import annotations

from rtmidi.midiconstants import (
    ALL_NOTES_OFF,
    ALL_SOUND_OFF,
    CONTROL_CHANGE,
    NOTE_OFF,
    NOTE_ON,
    PROGRAM_CHANGE,
    SUSTAIN,
)

CHANNELS = 16


def channel_of(message: list[int]) -> int:
    """The channel (0-15) of a channel message; 0 for anything else."""
    return message[0] & 0x0F if message and message[0] < 0xF0 else 0


def is_note_on(message: list[int]) -> bool:
    return len(message) == 3 and message[0] & 0xF0 == NOTE_ON and message[2] > 0


def is_note_off(message: list[int]) -> bool:
    kind = message[0] & 0xF0 if message else 0
    return len(message) == 3 and (kind == NOTE_OFF or (kind == NOTE_ON and message[2] == 0))


def is_channel_message(message: list[int]) -> bool:
    return bool(message) and 0x80 <= message[0] < 0xF0


def sustain(message: list[int]) -> bool | None:
    """Whether a message puts the sustain pedal down (True) or up (False); None for any
    other message."""
    if len(message) == 3 and message[0] & 0xF0 == CONTROL_CHANGE and message[1] == SUSTAIN:
        return message[2] >= 64
    return None


def program(message: list[int]) -> int | None:
    """The program (0-127) a program change selects; None for any other message."""
    if len(message) == 2 and message[0] & 0xF0 == PROGRAM_CHANGE:
        return message[1]
    return None


def note_off(channel: int, pitch: int) -> list[int]:
    return [NOTE_OFF | channel, pitch, 0]


def silence(channel: int) -> list[list[int]]:
    """What lets every sound on a channel stop, in this order: the sustain pedal up (or a
    piano synth keeps ringing), All Sound Off, All Notes Off."""
    return [[CONTROL_CHANGE | channel, SUSTAIN, 0],
            [CONTROL_CHANGE | channel, ALL_SOUND_OFF, 0],
            [CONTROL_CHANGE | channel, ALL_NOTES_OFF, 0]]
