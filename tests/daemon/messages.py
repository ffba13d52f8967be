"""Raw MIDI messages as rtmidi hands them over, for the daemon's tests."""


def note_on(pitch: int, velocity: int, channel: int = 0) -> list[int]:
    return [0x90 | channel, pitch, velocity]


def note_off(pitch: int, channel: int = 0) -> list[int]:
    return [0x80 | channel, pitch, 0]
