"""What a musician reads after a file is humanized: each part before and after.

`humanize` prints it for every file (a folder's worker processes print it into the text
they hand back), `demo` for its examples: the part's role and style, its velocities before
and after, a level moved inward, why a part came out nearly flat, how far its notes moved
and how their lengths changed, and the notes a user must know (a non-commercial style).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from humanizer import models, output
from humanizer.offline import HumanizedFile, Humanizer, Part

AUDIBLE = 3.0  # velocity steps of spread: below it a part sounds as flat as it came
LEVEL_MOVE = 3.0  # a flat part's level moved this far inward is said (up to output.ROOM)


def why_flat(before: list[int], after: list[int], part: Part,
             strength: float = 1.0) -> str | None:
    """Why a part of 20 notes or more came out with a spread under AUDIBLE, in one line
    (None if it did not): a user must not take an inaudible change for humanization."""
    if len(after) < 20 or np.std(after) >= AUDIBLE or np.std(before) >= AUDIBLE:
        return None
    if strength < 1.0:
        return f"nearly flat: at strength {strength:g} the style's shape is scaled down"
    if part.style is None:
        return None  # said already: a kit left as drawn
    role = "" if part.role is None else f"{part.role.name} "
    return (f"nearly flat: the {part.style} style gives this {role}part little shape "
            "(try another style with --channel-style)")


def notices(result: HumanizedFile, humanizer: Humanizer, timing: float,
            articulation: float = 0.0) -> None:
    """One line each for what the output's user must know: a non-commercial style made
    it, or timing or articulation was asked of styles that have none."""
    used = {part.style for part in result.parts if part.style is not None}
    engines = [humanizer.engines[style] for style in sorted(used)]
    for engine in engines:
        if models.non_commercial(engine.contract):
            licence = engine.contract.licence
            says = "" if "non-commercial" in licence.lower() else ": not for commercial use"
            print(f"  note: made with the {engine.contract.name} style, licensed "
                  f"{licence}{says}")
    if timing and engines and not any(engine.contract.timing for engine in engines):
        print("  note: --timing changes nothing here: no part's style has a timing head "
              "(the drums style has)")
    if articulation and engines and not any(engine.contract.lengths for engine in engines):
        print("  note: --articulation changes nothing here: no part's style has a length "
              "head (the lead style has)")


def describe(velocities: list[int]) -> str:
    array = np.asarray(velocities, dtype=np.float64)
    return (f"mean {array.mean():5.1f}, spread {array.std():4.1f}, "
            f"range {int(array.min())}-{int(array.max())}")


def signed(value: float, digits: int = 1) -> str:
    """`+1.5`, `-0.3`, and `+0.0` rather than a misleading `-0.0`."""
    return f"{round(value, digits) + 0.0:+.{digits}f}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def where(result: HumanizedFile, part: Part) -> str:
    """`track 2, channel 3`: the part's tracks (a kit may span several) and channel."""
    tracks = sorted({result.before.notes[i].track for i in part.indices})
    return (f"track{'s' if len(tracks) > 1 else ''} {', '.join(map(str, tracks))}, "
            f"channel {part.channel + 1}")


def summary(result: HumanizedFile, written: Path, strength: float = 1.0,
            channel_strengths: tuple[tuple[int, float], ...] = ()) -> None:
    """A short before/after report, part by part, so a user sees what changed (a part's
    strength is its channel's own where it has one)."""
    own = dict(channel_strengths)
    notes = result.before.notes
    if not notes:
        print(f"wrote {written}: no notes to humanize")
        return
    changed = sum(n.velocity != v for n, v in zip(notes, result.velocities))
    print(f"wrote {written}: {plural(len(notes), 'note')} in "
          f"{plural(len(result.parts), 'part')}, {plural(changed, 'velocity')} changed"
          .replace("velocitys", "velocities"))
    if result.before.dropped:
        print(f"  left out {plural(result.before.dropped, 'event')} no player hears and no "
              "MIDI file may hold (real-time messages, events after a track's end)")
    for part in sorted(result.parts, key=lambda p: (p.track, p.channel)):
        before = [notes[i].velocity for i in part.indices]
        after = [result.velocities[i] for i in part.indices]
        role = "" if part.role is None else f"{part.role.name} ({part.role.why}), "
        print(f"  {where(result, part)}: {role}style {part.style or 'none'}, "
              f"{plural(len(before), 'note')}")
        if part.role is not None and part.role.name == "drums" and part.style != "drums":
            played = ("left as drawn" if part.style is None
                      else f"played by the {part.style} style")
            print(f"    a drum kit {played}: give it the drums style with --channel-style "
                  f"{part.channel + 1}=drums, or --kits-anywhere")
        print(f"    before: {describe(before)}")
        print(f"    after:  {describe(after)}")
        level = float(np.mean(before))
        moved = output.played_level(level) - level
        if part.style is not None and np.std(before) < AUDIBLE and abs(moved) >= LEVEL_MOVE:
            side = "down from the top" if moved < 0 else "up from the bottom"
            print(f"    level moved {side} of the range by {abs(moved):.0f}, to leave its "
                  "accents room")
        why = why_flat(before, after, part, own.get(part.channel, strength))
        if why:
            print(f"    {why}")
        moved = np.array([result.shifts[i] for i in part.indices
                          if abs(result.shifts[i]) > 1e-9]) * 1000  # moved in the file
        if moved.size:
            print(f"    timing: {plural(moved.size, 'note')} moved, mean {signed(moved.mean())} "
                  f"ms, spread {moved.std():.1f} ms, {signed(moved.min(), 0)} to "
                  f"{signed(moved.max(), 0)} ms")
        ratios = length_ratios(result, part.indices)
        if ratios.size:
            print(f"    lengths: {plural(ratios.size, 'note')} changed, median "
                  f"{np.median(ratios):.2f} of the drawn length, {ratios.min():.2f} to "
                  f"{ratios.max():.2f}")


def length_ratios(result: HumanizedFile, indices: list[int]) -> np.ndarray:
    """The played/drawn length of the notes whose length changed in the file."""
    notes, changes = result.before.notes, result.length_changes
    return np.array([(notes[i].end - notes[i].start + changes[i]) / (notes[i].end - notes[i].start)
                     for i in indices if changes and abs(changes[i]) > 1e-9
                     and notes[i].end > notes[i].start])


@dataclass(frozen=True)
class Printing:
    """What is printed after each file: nothing (`quiet`), or its summary at the strength,
    timing and articulation it was made with."""

    quiet: bool = False
    strength: float = 1.0
    timing: float = 0.0
    articulation: float = 0.0


def tell(result: HumanizedFile, humanizer: Humanizer, written: Path,
         printing: Printing) -> None:
    """The summary of one humanized file and the notes its user must know, as `printing`
    asks: what `humanize` prints for a file, and a folder's workers for each of theirs."""
    if printing.quiet:
        return
    summary(result, written, printing.strength, humanizer.settings.channel_strengths)
    notices(result, humanizer, printing.timing, printing.articulation)
