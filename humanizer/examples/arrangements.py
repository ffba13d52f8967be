"""Multi-part arrangements as a DAW user draws them, generated (nothing binary committed):
several tracks on their own channels, each flat at its own level, drums with crashes, a
fill and pieces the drum style's kit never played (congas, cowbell).

`python -m humanizer.examples.arrangements FOLDER` writes them; the tests and
docs/quality.md humanize them, and `humanizer demo` plays the balanced one.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import mido

TICKS = 480  # per beat
BARS = 16
DRUMS = 9  # channel 10


def _track(name: str, events: list[tuple[int, mido.Message]], tempo: int | None = None,
           meter: tuple[int, int] | None = None) -> mido.MidiTrack:
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    if tempo is not None:
        track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    if meter is not None:
        track.append(mido.MetaMessage("time_signature", numerator=meter[0],
                                      denominator=meter[1], time=0))
    now = 0
    for at, message in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(message.copy(time=at - now))
        now = at
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _note(events: list, channel: int, pitch: int, velocity: int, start: int, length: int):
    events.append((start, mido.Message("note_on", channel=channel, note=pitch,
                                       velocity=velocity)))
    events.append((start + length, mido.Message("note_off", channel=channel, note=pitch)))


def melody(channel: int, velocity: int, seed: int, bars: int = BARS) -> list:
    rng, events = random.Random(seed), []
    for eighth in range(bars * 8):
        if rng.random() < 0.8:
            _note(events, channel, rng.choice([60, 62, 64, 65, 67, 69, 71, 72, 74, 76]),
                  velocity, eighth * TICKS // 2, TICKS // 2 - 20)
    return events


def pad(channel: int, velocity: int, bars: int = BARS) -> list:
    events = []
    chords = [(48, 55, 60, 64), (45, 52, 57, 60), (41, 48, 53, 57), (43, 50, 55, 59)]
    for bar in range(bars):
        for pitch in chords[bar % 4]:
            _note(events, channel, pitch, velocity, bar * 4 * TICKS, 4 * TICKS - 10)
    return events


def bass(channel: int, velocity: int, bars: int = BARS) -> list:
    events = []
    roots = [36, 33, 29, 31]
    for beat in range(bars * 4):
        _note(events, channel, roots[(beat // 4) % 4], velocity, beat * TICKS, TICKS - 40)
    return events


def drums(velocity: int, bars: int = BARS) -> list:
    """A rock beat: kick on 1 and 3, snare on 2 and 4, closed hats in 8ths (ride in the
    middle eight), a crash on every fourth downbeat and after the tom fill, congas and a
    cowbell the kit never played."""
    events = []
    for bar in range(bars):
        start = bar * 4 * TICKS
        fill = bar % 4 == 3
        for eighth in range(8):
            at = start + eighth * TICKS // 2
            if fill and eighth >= 4:
                _note(events, DRUMS, (50, 48, 47, 43)[eighth - 4], velocity, at, 60)
                continue
            _note(events, DRUMS, 51 if 8 <= bar < 12 else 42, velocity, at, 60)
            if eighth in (0, 4):
                _note(events, DRUMS, 36, velocity, at, 60)
            if eighth in (2, 6):
                _note(events, DRUMS, 38, velocity, at, 60)
            if eighth in (1, 5):
                _note(events, DRUMS, 63, velocity, at, 60)  # open high conga
        if bar % 4 == 0:
            _note(events, DRUMS, 49, velocity, start, 120)  # crash
        if bar % 2 == 1:
            _note(events, DRUMS, 56, velocity, start + 3 * TICKS, 60)  # cowbell
    return events


def arrangement(levels: dict[str, int], bpm: float = 100.0, seed: int = 1,
                bars: int = BARS) -> mido.MidiFile:
    """A type 1 file: a conductor track (tempo, 4/4), then one track a part at the given
    levels (keys: melody, pad, bass, drums)."""
    tempo = mido.bpm2tempo(bpm)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    midi.tracks.append(_track("conductor", [], tempo=tempo, meter=(4, 4)))
    parts = {"melody": lambda v: melody(0, v, seed, bars), "pad": lambda v: pad(1, v, bars),
             "bass": lambda v: bass(2, v, bars), "drums": lambda v: drums(v, bars)}
    for name, level in levels.items():
        midi.tracks.append(_track(name, parts[name](level)))
    return midi


ARRANGEMENTS = {
    "balanced.mid": {"melody": 100, "pad": 30, "bass": 60, "drums": 100},
    "quiet.mid": {"melody": 41, "pad": 8, "bass": 18, "drums": 28},
    "loud.mid": {"melody": 127, "pad": 120, "bass": 110, "drums": 120},
    "soft-drums.mid": {"melody": 70, "drums": 40},
}
CHANNELS = {"melody": 0, "pad": 1, "bass": 2, "drums": DRUMS}


def part_of(levels: dict[str, int], name: str) -> tuple[int, int]:
    """(track, channel) of a part in the arrangement with these levels."""
    return list(levels).index(name) + 1, CHANNELS[name]


def write_all(folder: Path) -> dict[Path, dict[str, int]]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, levels in ARRANGEMENTS.items():
        arrangement(levels).save(folder / name)
        written[folder / name] = levels
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "arrangements")):
        print(path)
