"""Whether a style keeps the mix: the generated arrangements and bands
(humanizer.examples: parts drawn flat at their own levels, loud, quiet and soft drums; a
bass, a strummed guitar, strings, a sax and a kit at the middle, top and bottom of the
range) played by it, each part held to the level it was drawn at and kept off the limits.

Validation MAE says how close a style comes to the players; it does not see a drums part
at 40 pulled up to 43 or a loud beat pressed onto 127, which the output step's soft knee
prevents only for deviations no wider than it assumes. `ship` steps the gain down until this
check passes (measured: the note-level drums at gain 1.75 put 3.1 % of a part at 120 on
127 and moved a part at 40 to 43.1), and the variation scale until the takes at variation 1
pass it too (at scale 2.5, 14-19 % of that loud part was on 127). A style other than drums
must also keep a swell the user drew, as deep as drawn: trained on contours pulled toward
their level by an amount it is not told, a style deepens every contour it is given
(docs/experiments.md: the piano shipped before played a drawn swell 1.5-1.6 times as deep).
"""

from __future__ import annotations

import math
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from humanizer.engine import Engine
from humanizer.examples.arrangements import CHANNELS, arrangement, write_all
from humanizer.examples.band import BANDS, PARTS, write_bands
from humanizer.examples.make import piano_part
from humanizer.notes import midi_from_notes, notes_of
from humanizer.offline import Humanizer
from humanizer.output import OutputSettings, played_level

# a role's style is held to the parts of its role (the lead style is never asked to play a
# pad at 30: it was, and the takes that pad needs cut the lead's variation to 0.55; the
# comping style, checked on the pads and bass lines, shipped with takes at 0.65 of the
# validation's scale and played a strummed guitar at half an accompaniment's spread); the
# keys styles (pop, piano) play every part but the kit
ROLE_STYLES = ("lead", "bass", "pad", "comping")
ARRANGEMENT_ROLES = {"melody": "lead", "pad": "pad", "bass": "bass", "drums": "drums"}
SWELL_PARTS = {"lead": "melody", "bass": "bass", "pad": "pad"}  # else the piano part
LEVEL_TOLERANCE = 2.0  # velocity steps a part's mean may move from where it is played
# ... in a take at variation: a take's lean comes back within seconds
# (humanizer.variation.SETTLE_SECONDS), but each note's own noise still moves a short
# part's mean a little, as a player's does
VARIED_TOLERANCE = 3.0
# of a part's notes at 1 or 127 (a kit at 100: its crashes), for parts drawn between ...
LIMIT_SHARE = 0.03
LIMITED = range(20, 111)  # ... these levels
END_SHARE = 0.25  # of a part's notes at 1 or 127 for a part drawn nearer an end
# the whole file, and the lookahead windows the daemon plays (the shortest, the default):
# a window's level can drift where the whole file's does not (docs/experiments.md)
LATENCIES = (None, 0.0, 0.5)
SWELL_DEPTHS = (0.8, 1.4)  # how deep a drawn swell may come out, as a share of its depth
SWELL_SHAPE = 0.8  # the least correlation of a drawn swell's velocities with the drawing


def mix_problems(style: Path, drums: bool, variation: float = 0.0,
                 seeds: tuple[int, ...] = (0,),
                 latencies: tuple[float | None, ...] = LATENCIES) -> list[str]:
    """What goes wrong when `style` plays the generated parts it is held to (held_to: the
    kits, a role's parts, or every part but the kit), with its timing on, in the takes of
    `seeds` at `variation`, on whole files and through the lookahead windows of
    `latencies` (None: the whole file): one line per part, take and latency that leaves
    its level or reaches the limits, and (at variation 0, not for drums) each latency at
    which it plays a drawn swell too deep or too shallow; empty when the style keeps the
    mix."""
    contract = Engine(style).contract
    timing = 1.0 if contract.timing else 0.0
    problems = []
    with tempfile.TemporaryDirectory() as folder:
        files = defaultdict(list)
        for part in generated_parts(Path(folder) / "in"):
            if held_to(contract.name, drums, part.role):
                files[part.path].append(part)
        for seed, latency in ((seed, latency) for seed in seeds for latency in latencies):
            take = f" (variation {variation:g}, seed {seed})" if variation else ""
            take += _played_at(latency)
            for path, parts in files.items():
                humanizer = Humanizer(None, OutputSettings(timing=timing, variation=variation),
                                      latency, seed=seed,
                                      channel_styles={p.channel: str(style) for p in parts})
                result = humanizer.file(path, Path(folder) / path.name)
                played = defaultdict(list)
                for note, velocity in zip(result.before.notes, result.velocities):
                    played[note.channel].append(velocity)
                for part in parts:
                    problems += _part_problems(f"{path.name} {part.name}{take}", part.level,
                                               VARIED_TOLERANCE if variation
                                               else LEVEL_TOLERANCE,
                                               np.array(played[part.channel]))
    if not drums and not variation:
        problems += swell_problems(style, latencies)
    return problems


@dataclass(frozen=True)
class GeneratedPart:
    """A generated part: its file, its name there, its channel, its level and role."""

    path: Path
    name: str
    channel: int
    level: int
    role: str


def generated_parts(folder: Path) -> list[GeneratedPart]:
    """Every part of the generated arrangements and bands drawn flat at a level (a part
    with dynamics drawn in has none to keep: the swell is checked apart), their files
    written into `folder`."""
    found = [GeneratedPart(path, name, CHANNELS[name], level, ARRANGEMENT_ROLES[name])
             for path, levels in write_all(folder / "arrangements").items()
             for name, level in levels.items()]
    for path, levels in write_bands(folder / "bands").items():
        if BANDS[path.name][1].get("drawn"):
            continue
        for name, level in levels.items():
            channel, _, _, role = PARTS[name]
            if name == "kit":
                channel = BANDS[path.name][1].get("kit_channel", channel)
            found.append(GeneratedPart(path, name, channel, level, role))
    return found


def held_to(style: str, drums: bool, role: str) -> bool:
    """Whether a style named `style` is checked on a part of `role`: a kit style on the
    kits, a role's style on its role's parts (ROLE_STYLES), a keys style on every part
    but the kit."""
    if drums:
        return role == "drums"
    if style in ROLE_STYLES:
        return role == style
    return role != "drums"


def swell(style: Path, latency: float | None) -> tuple[float, float]:
    """How deep `style` plays a swell drawn on its part (swelled_part: 70 +- 20, over 8 s),
    as a share of the depth drawn - the least-squares slope of the velocities it plays on
    those drawn (1: kept as drawn; its own dynamics on top leave the slope alone) - and how
    well they keep its shape (their correlation with the drawing)."""
    notes = notes_to_swell(swelled_part(style))
    drawn = [round(70 + 20 * math.sin(2 * math.pi * note.start / 8.0)) for note in notes]
    notes = [replace(note, velocity=velocity) for note, velocity in zip(notes, drawn)]
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "swell.mid", Path(folder) / "out.mid"
        midi_from_notes(sorted(notes, key=lambda n: (n.start, n.pitch))).save(source)
        result = Humanizer(str(style), OutputSettings(), latency).file(source, target)
    before = [note.velocity for note in result.before.notes]
    return (float(np.polyfit(before, result.velocities, 1)[0]),
            float(np.corrcoef(before, result.velocities)[0, 1]))


def swell_problems(style: Path, latencies: tuple[float | None, ...] = LATENCIES) -> list[str]:
    """One line for each latency (None: the whole file) at which `style` plays a drawn
    swell shallower or deeper than SWELL_DEPTHS allow, or loses its shape."""
    found = []
    part = swelled_part(style)
    for latency in latencies:
        depth, shape = swell(style, latency)
        at = _played_at(latency)
        if not SWELL_DEPTHS[0] <= depth <= SWELL_DEPTHS[1]:
            found.append(f"a swell drawn on the {part} part{at} comes out {depth:.2f} times "
                         "as deep")
        if shape < SWELL_SHAPE:
            found.append(f"a swell drawn on the {part} part{at} loses its shape "
                         f"(r {shape:.2f})")
    return found


def swelled_part(style: Path) -> str:
    """The part a swell is drawn on for `style`: its role's (a bass style's bass line), or
    the bundled piano part for the keys styles."""
    return SWELL_PARTS.get(Engine(style).contract.name, "piano")


def notes_to_swell(part: str) -> list:
    """The notes of `part`: the bundled piano part, or a generated arrangement's part."""
    if part == "piano":
        return piano_part()
    notes, _ = notes_of(arrangement({part: 70}))
    return [note for note in notes if note.channel == CHANNELS[part]]


def _played_at(latency: float | None) -> str:
    """How a problem line names the latency it was found at (nothing: the whole file)."""
    return "" if latency is None else f" at --latency {latency * 1000:g}ms"


def _part_problems(name: str, level: int, tolerance: float, velocities: np.ndarray
                   ) -> list[str]:
    found = []
    if abs(velocities.mean() - played_level(level)) > tolerance:
        found.append(f"{name} drawn at {level} comes out at a mean of {velocities.mean():.1f}")
    at_limits = np.mean((velocities <= 1) | (velocities >= 127))
    if at_limits > (LIMIT_SHARE if level in LIMITED else END_SHARE):
        found.append(f"{name} drawn at {level} has {at_limits:.1%} of its notes at 1 or 127")
    return found
