"""`humanizer humanize IN -o OUT`: humanize a MIDI file, or a folder of them, offline.

Only note_on velocities change; every other byte of meaning in the file stays. The same
engine as the daemon predicts them: with whole-file context by default, or with `--latency`
exactly what the live daemon would send at that latency. Output is deterministic and written
atomically: on any error no output file (or partial file) is left.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from humanizer import models
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.notes import NoteFile, read, with_timing, with_velocities, write_atomic
from humanizer.progress import progress
from humanizer.timeparse import parse_duration


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN", help="a MIDI file or a folder of MIDI files")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file (or folder, when IN is a folder)")
    parser.add_argument("--style", help="style for every channel (default: piano, and drums "
                                        "on channel 10)")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="0 keeps the input velocities, 1 is the full model (default 1)")
    parser.add_argument("--latency", metavar="TIME",
                        help="emulate the live daemon at this latency, e.g. 500ms "
                             "(default: the model hears the whole file)")
    parser.add_argument("--timing", type=float, default=0.0, metavar="AMOUNT",
                        help="0..1: move each note by this much of the onset offset the "
                             "style predicts, for a style with a timing head such as drums "
                             "(default 0: only velocities change)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output")


def fraction(name: str, value: float) -> float:
    """An amount from 0 to 1 (strength, timing), or a clear error naming it."""
    if not 0.0 <= value <= 1.0:
        raise HumanizerError(f"{name} must be between 0 and 1, not {value}")
    return value


class Humanizer:
    """Styles per channel, loaded once, applied to one file at a time."""

    def __init__(self, style: str | None, strength: float, lookahead: float | None,
                 timing: float = 0.0):
        self.strength = fraction("strength", strength)
        self.timing = fraction("timing", timing)
        self.lookahead = lookahead
        self.default = models.load(style or models.DEFAULT_STYLE, threads=2)
        self.by_channel: Mapping[int, Engine] = {
            channel: models.load(name, threads=2)
            for channel, name in models.default_channel_styles(style is not None).items()}
        engines = [self.default, *self.by_channel.values()]
        if self.timing and not any(engine.contract.timing for engine in engines):
            names = sorted({engine.contract.name for engine in engines})
            raise HumanizerError(f"style {', '.join(names)} predicts no timing: --timing "
                                 "needs a style with a timing head (see humanizer models)")

    def changes(self, note_file: NoteFile) -> tuple[list[int], list[float]]:
        """New velocities and onset shifts (seconds) for every note in the file, each
        channel through its style."""
        velocities = [note.velocity for note in note_file.notes]
        shifts = [0.0] * len(velocities)
        engines = {note.channel: self.by_channel.get(note.channel, self.default)
                   for note in note_file.notes}
        for engine in set(engines.values()):
            chosen = [i for i, note in enumerate(note_file.notes)
                      if engines[note.channel] is engine]
            new, moved = engine.humanize_timing([note_file.notes[i] for i in chosen],
                                                self.strength, self.lookahead, self.timing)
            for i, velocity, shift in zip(chosen, new, moved):
                velocities[i], shifts[i] = velocity, shift
        return velocities, shifts

    def velocities(self, note_file: NoteFile) -> list[int]:
        return self.changes(note_file)[0]

    def file(self, source: Path, target: Path) -> tuple[NoteFile, list[int], list[float]]:
        """Humanize one file into target; the notes as read, their new velocities and the
        shifts asked of them (seconds)."""
        note_file = read(source)
        velocities, shifts = self.changes(note_file)
        midi = with_velocities(note_file, velocities)
        if any(shifts):
            midi = with_timing(midi, note_file, shifts)
        try:
            write_atomic(midi, target)
        except OSError as error:  # an output folder that is a file, read-only, full disk
            where = f": {error.filename}" if error.filename else ""
            raise HumanizerError(f"{target}: cannot write ({error.strerror or error}{where})"
                                 ) from None
        return note_file, velocities, shifts


def pairs(source: Path, target: Path) -> list[tuple[Path, Path]]:
    """(input, output) files: one pair, or every MIDI file of a folder mirrored."""
    if not source.is_dir():
        return [(source, target)]
    if target.exists() and not target.is_dir():
        raise HumanizerError(f"{target}: is a file; give a folder for a folder of input")
    files = sorted(p for p in source.rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    if not files:
        raise HumanizerError(f"{source}: no MIDI files in this folder")
    return [(p, target / p.relative_to(source)) for p in files]


def run(args: argparse.Namespace) -> int:
    source, target = Path(args.input), Path(args.output)
    if not source.exists():
        raise HumanizerError(f"{source}: no such file or folder")
    work = pairs(source, target)
    inputs = {i.resolve() for i, _ in work}
    for _, output in work:
        if output.exists() and not args.force:
            raise HumanizerError(f"{output}: already exists (use --force to overwrite)")
        if output.resolve() in inputs:
            raise HumanizerError(f"{output}: would overwrite an input file")
    lookahead = parse_duration(args.latency) if args.latency else None
    humanizer = Humanizer(args.style, args.strength, lookahead, args.timing)
    failed = 0
    for input_file, output_file in progress(work, len(work), "humanizing"):
        try:
            note_file, velocities, shifts = humanizer.file(input_file, output_file)
        except HumanizerError as error:
            if len(work) == 1:
                raise
            print(f"humanizer: skipped {error}", file=sys.stderr)
            failed += 1
            continue
        if len(work) == 1:
            summary(note_file, velocities, output_file, shifts)
    if len(work) > 1:
        print(f"humanized {len(work) - failed} of {len(work)} files into {target}")
    return 1 if failed else 0


def summary(before: NoteFile, new: list[int], output: Path,
            shifts: list[float] | None = None) -> None:
    """A short before/after report of the velocities, so a user sees what changed.

    `new` are the velocities written (one per note of `before`); reading the output back
    to get them took as long as reading the input.
    """
    old = [n.velocity for n in before.notes]
    if not old:
        print(f"wrote {output}: no notes to humanize")
        return

    def describe(values: list[int]) -> str:
        mean = sum(values) / len(values)
        spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        return f"mean {mean:5.1f}, spread {spread:4.1f}, range {min(values)}-{max(values)}"

    changed = sum(a != b for a, b in zip(old, new))
    print(f"wrote {output}: {len(old)} notes, {changed} velocities changed")
    print(f"  before: {describe(old)}")
    print(f"  after:  {describe(new)}")
    moved = [1000 * shift for shift in shifts or [] if shift]
    if moved:
        print(f"  timing: {len(moved)} notes moved, {min(moved):+.0f} to {max(moved):+.0f} ms "
              f"(mean {sum(map(abs, moved)) / len(moved):.0f} ms either way)")


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", default="humanizer-demo", metavar="FOLDER",
                        help="where to write the humanized examples (default ./humanizer-demo)")


def demo(args: argparse.Namespace) -> int:
    """Humanize the bundled example parts with the default styles and show the change:
    dynamics everywhere, and the feel of the drums (the style with a timing head)."""
    from humanizer.examples.make import EXAMPLES, FOLDER

    humanizer = Humanizer(None, 1.0, None, timing=1.0)
    for name in EXAMPLES:
        note_file, velocities, shifts = humanizer.file(FOLDER / name, Path(args.output) / name)
        summary(note_file, velocities, Path(args.output) / name, shifts)
    return 0
