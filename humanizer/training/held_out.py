"""Real arrangements the styles never tuned on, part by part, beside their players.

POP909's test songs are arranged and played by people: a melody, a bridge and a piano
accompaniment, each with the dynamics its player gave it. Each track is drawn flat at the
level its player played it - the DAW case - and humanized with `humanize`'s defaults; each
part's level, spread and limits are then set beside what the player did with it.

The generated bands (humanizer.examples) are what `ship` holds every style to
(humanizer.training.mixcheck), so judging on them alone would judge what was tuned. These
songs are in no calibration: `ship` calibrates on the validation split.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from humanizer import values
from humanizer.datasets.band_roles import PLAYED_SPREAD, moves_as_played
from humanizer.datasets.catalog import performances, sample
from humanizer.errors import HumanizerError
from humanizer.notes import instrument_of, notes_of
from humanizer.offline import Humanizer
from humanizer.output import OutputSettings, played_level


@dataclass(frozen=True)
class PartResult:
    """One part of a song as humanized, beside its player."""

    song: str
    name: str
    role: str
    style: str
    notes: int
    level: int
    mean: float
    spread: float
    played_spread: float
    edited: bool  # its player's velocities barely move around their level: set, not played
    at_limits: tuple[float, float]  # shares of its notes at 1 and at 127


def flattened(source: Path, target: Path) -> None:
    """`source` with every track's notes at the track's mean velocity (rounded), to
    `target`: each part as a DAW user draws it, at the level its player played it."""
    midi = mido.MidiFile(source)
    for track in midi.tracks:
        struck = [i for i, m in enumerate(track) if m.type == "note_on" and m.velocity > 0]
        if struck:
            level = round(float(np.mean([track[i].velocity for i in struck])))
            for i in struck:
                track[i] = track[i].copy(velocity=level)
    midi.save(target)


def song_parts(source: Path, humanizer: Humanizer, scratch: Path) -> list[PartResult]:
    """Each part of the song at `source`, drawn flat and humanized by `humanizer`."""
    flat, out = scratch / f"flat-{source.name}", scratch / f"out-{source.name}"
    flattened(source, flat)
    played, _ = notes_of(mido.MidiFile(source))
    result = humanizer.file(flat, out)
    if [n.start for n in played] != [n.start for n in result.before.notes]:
        raise AssertionError(f"{source}: its notes came out in another order")
    found = []
    for part in sorted(result.parts, key=lambda p: (p.track, p.channel)):
        before = np.array([result.before.notes[i].velocity for i in part.indices])
        after = np.array([result.velocities[i] for i in part.indices], dtype=np.float64)
        player = np.array([played[i].velocity for i in part.indices], dtype=np.float64)
        times = np.array([played[i].start for i in part.indices])
        edited = not moves_as_played(times, player)
        name = instrument_of(result.before.midi, part.track, part.channel)[1]
        found.append(PartResult(source.stem, name or f"channel {part.channel + 1}",
                                part.role.name if part.role else "-", part.style or "as drawn",
                                len(part.indices), int(before[0]), float(after.mean()),
                                float(after.std()), float(player.std()), edited,
                                (float(np.mean(after <= 1)), float(np.mean(after >= 127)))))
    return found


def measured(data: Path, count: int | None) -> list[PartResult]:
    """Every part of POP909's test songs under `data` (`count` of them, evenly spread)."""
    humanizer = Humanizer(None, OutputSettings(variation=values.DEFAULT_VARIATION))
    songs = sample(performances(data / "pop909", "test"), count)
    if not songs:
        raise HumanizerError(f"{data / 'pop909'}: no POP909 test songs to judge on")
    with tempfile.TemporaryDirectory() as scratch:
        return [part for song in songs for part in song_parts(song, humanizer, Path(scratch))]


def summary(parts: list[PartResult]) -> list[str]:
    """What the issue 34 asks of a whole arrangement, over every part measured, and each
    role's spread beside its players'."""
    spread = np.median([p.spread for p in parts])
    players = np.median([p.played_spread for p in parts])
    moved = [abs(p.mean - played_level(p.level)) for p in parts]
    flat = sum(p.notes >= 20 and p.spread < 3 for p in parts)
    lines = [f"- {len(parts)} parts of {len({p.song for p in parts})} songs: median spread "
             f"{spread:.1f} (the players' {players:.1f}); {flat} parts of 20 notes or more "
             f"under 3; each mean within {max(moved):.1f} of where it is played (median "
             f"{np.median(moved):.1f}); at most {max(p.at_limits[1] for p in parts):.1%} of "
             "a part on 127."]
    by_role: dict[str, list[PartResult]] = {}
    for part in parts:
        by_role.setdefault(f"{part.role} ({part.style})", []).append(part)
    for role, mine in sorted(by_role.items()):
        played = [p for p in mine if not p.edited]
        ratios = [p.spread / p.played_spread for p in played]
        lines.append(f"- {role}: {len(mine)} parts, spread "
                     f"{np.median([p.spread for p in mine]):.1f}; of the {len(played)} whose "
                     f"player's velocities were played, not set (POP909 warns some were "
                     f"edited: a local spread under {PLAYED_SPREAD:g}), the players' spread "
                     f"{np.median([p.played_spread for p in played]):.1f}, ours "
                     f"{np.median([p.spread for p in played]):.1f}, median ratio "
                     f"{np.median(ratios):.2f}")
    return lines


def section(data: Path, count: int | None) -> list[str]:
    """docs/quality.md's section of real arrangements never tuned on."""
    began = time.monotonic()
    parts = measured(data, count)
    rows = [f"| {p.song} | {p.name} ({p.role}, {p.style}) | {p.notes} | {p.level} | "
            f"{p.mean:.1f} | {p.spread:.1f} | {p.played_spread:.1f}"
            f"{' (edited)' if p.edited else ''} | "
            f"{p.at_limits[0]:.1%} / {p.at_limits[1]:.1%} |" for p in parts]
    return ["## Real arrangements never tuned on, per part", "",
            "POP909's test songs (`humanizer.training.held_out`: arranged and played by "
            "people, in no calibration - `ship` holds the styles to the generated bands and "
            "calibrates on the validation split), each track drawn flat at the level its "
            "player played it, through `humanize`'s defaults (a take, seed 0): each part's "
            "role and style, its level in, its mean and spread out, and its player's spread "
            "(the velocities the player gave that part).", "",
            *summary(parts), "",
            "| song | part (role, style) | notes | level in | mean out | spread | "
            "player's spread | % at 1 / 127 |", "|---|---|---|---|---|---|---|---|",
            *rows, "", f"This section took {time.monotonic() - began:.0f} s."]
