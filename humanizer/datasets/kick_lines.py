"""The Groove MIDI Dataset's kick drum as a bass player's pocket, for a bass style's timing.

No human-played bass timing is reachable here (DESIGN section 9). In a band the bass locks
with the kick: where a drummer's kick sits against the grid - ahead in a driving groove,
behind in a laid-back one - is the closest human timing a bass line has. Each performance's
kick notes are written alone with its tempo and time signature (the same relative path), so
the Groove reader puts them on the grid of their tempo and trains only their onset offsets
(`humanizer train ... --feel-only FOLDER`: a kick's velocities are not a bassist's).

    python -m humanizer.datasets.kick_lines ../shared/data/groove runs/roles/kick
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import mido

from humanizer.datasets.catalog import performances

KICKS = (35, 36)  # General MIDI's acoustic and bass drum


def kick_line(midi: mido.MidiFile) -> mido.MidiFile:
    """The file with only its meta messages and its kick notes (times kept)."""
    tracks = []
    for track in midi.tracks:
        kept, carried = mido.MidiTrack(), 0
        for message in track:
            carried += message.time
            if message.is_meta or (message.type in ("note_on", "note_off")
                                   and message.note in KICKS):
                kept.append(message.copy(time=carried))
                carried = 0
        tracks.append(kept)
    return mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat, tracks=tracks)


def write_kick_lines(source: Path, target: Path) -> int:
    """Write every performance's kick line with 8 kicks or more; returns how many."""
    written = 0
    for path in performances(source):
        line = kick_line(mido.MidiFile(path))
        kicks = sum(m.type == "note_on" and m.velocity > 0 for t in line.tracks for m in t)
        if kicks < 8:
            continue
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        line.save(out)
        written += 1
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m humanizer.datasets.kick_lines GROOVE_FOLDER OUT_FOLDER",
              file=sys.stderr)
        return 2
    count = write_kick_lines(Path(args[0]), Path(args[1]))
    print(f"wrote {count} kick lines to {args[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
