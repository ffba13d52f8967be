"""Band arrangements as a DAW user draws them, generated (nothing binary committed): a bass,
a strummed guitar, strings, a sax lead, a two-handed piano and a kit split over a kick
track and a snare-and-hats track, each on its own channel with its General MIDI program
and track name, flat at its own level - in the middle, at the top of the range, at the
bottom - and one with dynamics drawn in, and one with the kit on channel 1.

The roles issue (34) is judged on them part by part: each part's role, its spread, its
level, the share of its notes on the limits. `python -m humanizer.examples.band FOLDER`
writes them.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import mido

from humanizer.examples.arrangements import DRUMS, TICKS, _note, _track

BARS = 16
# part -> (channel, General MIDI program, track name, role the part plays)
PARTS = {
    "piano": (0, 0, "Piano", "keys"),
    "bass": (1, 33, "Bass", "bass"),
    "guitar": (2, 25, "Rhythm Guitar", "comping"),
    "strings": (3, 48, "Strings", "pad"),
    "sax": (4, 65, "Alto Sax", "lead"),
    "kit": (DRUMS, None, "Kick", "drums"),  # and "Snare & Hats", same channel
}
CHORDS = [(0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)]  # C, Am, F, G over C


def _with_program(events: list, channel: int, program: int | None) -> list:
    if program is None:
        return events
    return [(0, mido.Message("program_change", channel=channel, program=program)), *events]


def bass(channel: int, velocity, bars: int = BARS) -> list:
    """Eighth notes on the root, a fifth on the last of each bar (E1-C3)."""
    events = []
    for bar in range(bars):
        root = 36 + CHORDS[bar % 4][0]
        for eighth in range(8):
            pitch = root + 7 if eighth == 7 else root
            _note(events, channel, pitch, velocity(bar * 8 + eighth), (bar * 8 + eighth)
                  * TICKS // 2, TICKS // 2 - 30)
    return events


def guitar(channel: int, velocity, bars: int = BARS) -> list:
    """A strum on every beat: six strings within 15 ms, down and up."""
    events = []
    for beat in range(bars * 4):
        chord = CHORDS[(beat // 4) % 4]
        strings = [52 + chord[0], 55 + chord[1] % 12, 59 + chord[2] % 12, 64 + chord[0],
                   67 + chord[1] % 12, 71 + chord[2] % 12]
        for k, pitch in enumerate(strings if beat % 2 == 0 else strings[::-1]):
            _note(events, channel, pitch, velocity(beat), beat * TICKS + 4 * k, TICKS - 60)
    return events


def strings(channel: int, velocity, bars: int = BARS) -> list:
    """Whole-bar chords held into each other."""
    events = []
    for bar in range(bars):
        for pitch in (48 + CHORDS[bar % 4][0], 60 + CHORDS[bar % 4][1] % 12,
                      64 + CHORDS[bar % 4][2] % 12, 72 + CHORDS[bar % 4][0]):
            _note(events, channel, pitch, velocity(bar), bar * 4 * TICKS, 4 * TICKS - 10)
    return events


def sax(channel: int, velocity, seed: int, bars: int = BARS) -> list:
    """A line of eighths and quarters over the chords, resting now and then."""
    rng, events, at, count = random.Random(seed), [], 0, 0
    while at < bars * 4 * TICKS:
        length = rng.choice([TICKS // 2, TICKS // 2, TICKS])
        if rng.random() < 0.85:
            chord = CHORDS[(at // (4 * TICKS)) % 4]
            pitch = 72 + rng.choice(chord) % 12 + rng.choice([0, 2, -1, 0])
            _note(events, channel, pitch, velocity(count), at, length - 20)
            count += 1
        at += length
    return events


def piano(channel: int, velocity, bars: int = BARS) -> list:
    """Left hand on the beat, right hand chords on the offbeats."""
    events, count = [], 0
    for beat in range(bars * 4):
        chord = CHORDS[(beat // 4) % 4]
        _note(events, channel, 48 + chord[0], velocity(count), beat * TICKS, TICKS - 40)
        count += 1
        for pitch in (60 + chord[1] % 12, 64 + chord[2] % 12, 67 + chord[0]):
            _note(events, channel, pitch, velocity(count), beat * TICKS + TICKS // 2,
                  TICKS // 2 - 20)
            count += 1
    return events


def kit(channel: int, velocity, bars: int = BARS) -> tuple[list, list]:
    """(kick, snare and hats): a rock beat with a crash every fourth bar and a shaker."""
    kick, rest = [], []
    for bar in range(bars):
        start = bar * 4 * TICKS
        for eighth in range(8):
            at = start + eighth * TICKS // 2
            if eighth in (0, 3, 4):
                _note(kick, channel, 36, velocity(bar * 8 + eighth), at, 60)
            if eighth in (2, 6):
                _note(rest, channel, 38, velocity(bar * 8 + eighth), at, 60)
            _note(rest, channel, 42, velocity(bar * 8 + eighth), at, 60)
            _note(rest, channel, 82, velocity(bar * 8 + eighth), at + TICKS // 4, 30)  # shaker
        if bar % 4 == 0:
            _note(rest, channel, 49, velocity(bar * 8), start, 240)
    return kick, rest


def band(levels: dict[str, int], kit_channel: int = DRUMS, drawn: bool = False,
         seed: int = 3, bpm: float = 96.0) -> mido.MidiFile:
    """A type 1 file: a conductor track, then each part of `levels` (keys of PARTS) flat at
    its level - or, `drawn`, the sax with accents drawn at 127 on every fourth note and the
    guitar with a crescendo over each four bars from its level - 20 to + 20."""
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    midi.tracks.append(_track("conductor", [], tempo=mido.bpm2tempo(bpm), meter=(4, 4)))

    def flat(level: int):
        return lambda index: level

    for name, level in levels.items():
        channel, program, title, _ = PARTS[name]
        velocity = flat(level)
        if drawn and name == "sax":
            velocity = lambda i, level=level: 127 if i % 4 == 0 else level  # noqa: E731
        if drawn and name == "guitar":
            velocity = lambda i, level=level: level - 20 + (i % 16) * 40 // 15  # noqa: E731
        if name == "kit":
            channel = kit_channel
            kick, rest = kit(channel, velocity)
            if kit_channel == DRUMS:  # a kit over two tracks of channel 10
                midi.tracks.append(_track("Kick", kick))
                midi.tracks.append(_track("Snare & Hats", rest))
            else:  # one track, named as many exports name it
                midi.tracks.append(_track("Track 1", kick + rest))
            continue
        make = {"bass": bass, "guitar": guitar, "strings": strings, "piano": piano,
                "sax": lambda c, v: sax(c, v, seed)}[name]
        midi.tracks.append(_track(title, _with_program(make(channel, velocity), channel,
                                                       program)))
    return midi


MIDDLE = {"piano": 70, "bass": 80, "guitar": 80, "strings": 97, "sax": 94, "kit": 100}
TOP = {"piano": 110, "bass": 120, "guitar": 127, "strings": 119, "sax": 127, "kit": 127}
BOTTOM = {"piano": 30, "bass": 34, "guitar": 20, "strings": 12, "sax": 40, "kit": 12}
BANDS = {
    "band.mid": (MIDDLE, {}),
    "band-loud.mid": (TOP, {}),
    "band-quiet.mid": (BOTTOM, {}),
    "band-drawn.mid": (MIDDLE, {"drawn": True}),
    "kit-on-1.mid": ({"kit": 90, "bass": 80, "sax": 94}, {"kit_channel": 0}),
}


def write_bands(folder: Path) -> dict[Path, dict[str, int]]:
    """Every band of BANDS into `folder`: path -> the level of each part."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (levels, options) in BANDS.items():
        band(levels, **options).save(folder / name)
        written[folder / name] = levels
    return written


if __name__ == "__main__":
    for path in write_bands(Path(sys.argv[1] if len(sys.argv) > 1 else "bands")):
        print(path)
