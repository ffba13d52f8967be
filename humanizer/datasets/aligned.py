"""Aligned score/performance pairs from ASAP: the DAW case, quantized in, human out.

A DAW user's part is quantized. ASAP gives each performance's score (`midi_score.mid`, flat
velocity 80) and beat annotations for both, beat n of the score being beat n of the
performance. So the score is rendered at the performance's tempo by mapping score time to
performance time piecewise linearly between beats; each score note is matched to the
performed note of the same pitch with the nearest onset (within MATCH_SECONDS, each
performed note used once). Pieces whose match rate is under MIN_MATCH_RATE are skipped
(their annotations or their performance stray too far from the score).

Input: the matched score notes at the performed tempo. Targets: the performed velocity and
the onset offset (performed onset - rendered score onset, seconds).

    python -m humanizer.datasets.aligned ASAP [--split test]

lists every performance's match rate and which ones training and eval skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from humanizer.datasets import asap
from humanizer.errors import HumanizerError
from humanizer.notes import Note, keyboard, read

MATCH_SECONDS = 0.15
MIN_MATCH_RATE = 0.8


@dataclass
class AlignedPair:
    """One performance's matched notes: the quantized input notes and their targets."""

    name: str
    score: list[Note]  # at the performance's tempo, score velocities
    velocities: np.ndarray  # performed velocity of each score note
    offsets: np.ndarray  # performed onset - rendered onset, seconds
    match_rate: float


def usable(pair: AlignedPair, min_match_rate: float = MIN_MATCH_RATE) -> bool:
    """Whether a pair is good enough to learn from or measure on: most of its score is
    matched (else the targets would be another note's), and it has notes to compare."""
    return pair.match_rate >= min_match_rate and len(pair.score) > 1


def warp(times: np.ndarray, source_beats: np.ndarray, target_beats: np.ndarray) -> np.ndarray:
    """Map times piecewise linearly from one beat grid onto another (extrapolating the
    first and last beat intervals' tempo before and after the annotated beats)."""
    count = min(len(source_beats), len(target_beats))
    source, target = source_beats[:count], target_beats[:count]
    if count < 2:
        raise ValueError("at least two beats are needed")
    result = np.interp(times, source, target)
    before, after = times < source[0], times > source[-1]
    head = (target[1] - target[0]) / max(source[1] - source[0], 1e-9)
    tail = (target[-1] - target[-2]) / max(source[-1] - source[-2], 1e-9)
    result[before] = target[0] + (times[before] - source[0]) * head
    result[after] = target[-1] + (times[after] - source[-1]) * tail
    return result


def match(score: list[Note], performed: list[Note]) -> list[int | None]:
    """For each score note, the index of its performed note (same pitch, nearest onset
    within MATCH_SECONDS, each performed note used at most once), or None."""
    by_pitch: dict[int, list[int]] = {}
    for i, note in enumerate(performed):
        by_pitch.setdefault(note.pitch, []).append(i)
    used: set[int] = set()
    found: list[int | None] = []
    for note in score:
        candidates = [i for i in by_pitch.get(note.pitch, ()) if i not in used
                      and abs(performed[i].start - note.start) <= MATCH_SECONDS]
        best = min(candidates, key=lambda i: abs(performed[i].start - note.start), default=None)
        if best is not None:
            used.add(best)
        found.append(best)
    return found


def align(score_path: Path, score_beats: Path, performance_path: Path,
          performance_beats: Path) -> AlignedPair:
    """The aligned pair of one performance (all score notes; unmatched ones dropped)."""
    score = keyboard(read(score_path).notes)
    performed = keyboard(read(performance_path).notes)
    source, target = asap.beats(score_beats), asap.beats(performance_beats)
    starts = warp(np.array([n.start for n in score]), source, target)
    ends = warp(np.array([n.end for n in score]), source, target)
    rendered = [replace(n, start=float(s), end=float(max(e, s + 0.01)))
                for n, s, e in zip(score, starts, ends)]
    rendered.sort(key=lambda n: (n.start, n.pitch))
    matches = match(rendered, performed)
    kept = [(n, performed[i]) for n, i in zip(rendered, matches) if i is not None]
    return AlignedPair(
        name=str(performance_path),
        score=[n for n, _ in kept],
        velocities=np.array([p.velocity for _, p in kept], dtype=np.float64),
        offsets=np.array([p.start - n.start for n, p in kept]),
        match_rate=len(kept) / max(1, len(rendered)),
    )


def align_performance(performance: Path) -> AlignedPair:
    """The aligned pair of an ASAP performance file, from the files beside it."""
    score, score_beats, performance_beats = companions = asap.companions(performance)
    missing = [p.name for p in companions if not p.is_file()]
    if missing:
        raise HumanizerError(f"{performance}: score input needs ASAP's {', '.join(missing)} "
                             "beside the performance")
    return align(score, score_beats, performance, performance_beats)


def split_pairs(root: str | Path, split: str | None = None) -> list[tuple[str, AlignedPair]]:
    """Every ASAP performance of a split (its metadata path) with its aligned pair, poorly
    matched ones included."""
    root = Path(root)
    return [(row["midi_performance"],
             align(root / row["midi_score"], root / row["midi_score_annotations"],
                   root / row["midi_performance"], root / row["performance_annotations"]))
            for row in asap.rows(root, split)]


def report(pairs: Sequence[tuple[str, AlignedPair]]) -> list[str]:
    """One line per performance (match rate, notes kept, kept or skipped) and a summary:
    what to look at when a piece seems missing from training or eval."""
    lines = [f"{pair.match_rate:6.1%} {len(pair.score):6d} notes  "
             f"{'kept' if usable(pair) else 'SKIPPED':7}  {name}" for name, pair in pairs]
    rates = sorted(pair.match_rate for _, pair in pairs)
    median = rates[len(rates) // 2] if rates else 0.0
    lines.append(f"{sum(usable(pair) for _, pair in pairs)} of {len(pairs)} performances kept "
                 f"(match rate at least {MIN_MATCH_RATE:.0%}); median match rate {median:.1%}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m humanizer.datasets.aligned ASAP [--split test]`: the match rate of every
    performance's score, and which ones the DAW-case training and eval skip."""
    import argparse

    from humanizer.datasets.splits import SPLITS

    parser = argparse.ArgumentParser(prog="python -m humanizer.datasets.aligned",
                                     description=main.__doc__.splitlines()[0])
    parser.add_argument("asap", type=Path, help="the ASAP folder (with its metadata.csv)")
    parser.add_argument("--split", choices=SPLITS, help="only this split (default: all)")
    args = parser.parse_args(argv)
    if not asap.is_asap(args.asap):
        parser.error(f"{args.asap}: not an ASAP folder (no {asap.INDEX})")
    for line in report(split_pairs(args.asap, args.split)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
