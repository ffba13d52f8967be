"""How close a style's timing and note lengths come to the players' (`eval --feel`).

Each performance's DAW case (humanizer.datasets.performance.load_daw_case: ASAP's match
files, the Weimar Jazz Database's solos, the Groove MIDI Dataset on its grid) is played
flat through the one perform step with timing and articulation at 1, as `humanize
--timing 1 --articulation 1` plays it, and set beside what the players did:

- onsets: the error of each note's shift against the player's offset from the local beat
  (ms), beside no offset at all, and how widely the notes are pushed and pulled (the
  standard deviation of the offsets, model and players);
- chords (notes written together, humanizer.notefeatures.chords): how far apart a chord's
  notes are played (the spread, ms) and how far its top note leads the others;
- lengths: the error of each note's played length ratio (log2, after the reach the
  output allows) against the player's, beside the written length, and the median ratio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from humanizer import notefeatures, output
from humanizer.datasets.performance import load_daw_case
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.metrics import pearson
from humanizer.notes import Note
from humanizer.offline import humanize_part, length_changes
from humanizer.progress import progress


@dataclass
class Feel:
    """One performance: per written note its start and pitch, the player's onset offset
    and length ratio (NaN where unknown) and the style's."""

    starts: np.ndarray
    pitches: np.ndarray
    played_offsets: np.ndarray
    shifts: np.ndarray
    played_lengths: np.ndarray
    lengths: np.ndarray


def feel_of(engine: Engine, path: Path, lookahead: float | None, meter: bool = True
            ) -> Feel | None:
    """The player's and the style's feel on one performance (None: nothing to measure)."""
    performance = load_daw_case(path)
    if performance is None or performance.offsets is None:
        return None
    notes = [Note(int(p), 64, float(s), float(e)) for p, s, e in
             zip(performance.pitches, performance.starts, performance.ends)]
    settings = output.OutputSettings(timing=1.0, articulation=1.0)
    given = performance.meter if meter else None
    _, shifts, stretches = humanize_part(engine, notes, settings, lookahead, meter=given)
    changes = np.array(length_changes(notes, stretches.tolist(),
                                      output.length_reach(lookahead)))
    written = performance.ends - performance.starts
    with np.errstate(divide="ignore", invalid="ignore"):
        lengths = np.log2((written + changes) / written)
    played_lengths = performance.lengths if performance.lengths is not None \
        else np.full(len(notes), np.nan)
    return Feel(performance.starts, performance.pitches, performance.offsets, shifts,
                played_lengths, lengths)


def chord_profile(feels: Sequence[Feel], offsets_of) -> dict[str, float]:
    """Over the chords (2 notes or more written together, every offset known): the mean
    spread (ms) between a chord's earliest and latest note, and how far its top note
    comes before the others' mean (ms; positive: the melody leads)."""
    spreads, leads = [], []
    for feel in feels:
        offsets = offsets_of(feel)
        first = notefeatures.chords(feel.starts)  # each chord's first index: non-decreasing
        for mine in np.split(np.arange(len(first)), np.flatnonzero(np.diff(first)) + 1):
            if len(mine) < 2 or np.isnan(offsets[mine]).any():
                continue
            spreads.append(np.ptp(offsets[mine]))
            top = mine[np.argmax(feel.pitches[mine])]
            leads.append(np.mean(offsets[mine[mine != top]]) - offsets[top])
    if not spreads:
        return {"chords": 0}
    return {"chords": len(spreads), "spread_ms": round(float(np.mean(spreads)) * 1000, 2),
            "lead_ms": round(float(np.mean(leads)) * 1000, 2)}


def feel_report(feels: Sequence[Feel]) -> dict:
    """The onset, chord and length metrics of the style beside the players' (module doc)."""
    played = np.concatenate([f.played_offsets for f in feels])
    shifts = np.concatenate([f.shifts for f in feels])
    known = ~np.isnan(played)
    report = {"notes": int(known.sum()), "onsets": {
        "mae_ms": round(float(np.abs(shifts[known] - played[known]).mean()) * 1000, 2),
        "zero_mae_ms": round(float(np.abs(played[known]).mean()) * 1000, 2),
        "pearson_median": round(float(np.median([
            pearson(f.shifts[~np.isnan(f.played_offsets)],
                    f.played_offsets[~np.isnan(f.played_offsets)]) for f in feels])), 3),
        "played_sd_ms": round(float(played[known].std()) * 1000, 2),
        "model_sd_ms": round(float(shifts[known].std()) * 1000, 2)}}
    report["chords"] = {"played": chord_profile(feels, lambda f: f.played_offsets),
                        "model": chord_profile(feels, lambda f: np.where(
                            np.isnan(f.played_offsets), np.nan, f.shifts))}
    ratios = np.concatenate([f.played_lengths for f in feels])
    model = np.concatenate([f.lengths for f in feels])
    measured = ~np.isnan(ratios) & np.isfinite(model)
    if measured.any():
        report["lengths"] = {
            "notes": int(measured.sum()),
            "mae": round(float(np.abs(model[measured] - ratios[measured]).mean()), 3),
            "written_mae": round(float(np.abs(ratios[measured]).mean()), 3),
            "played_median": round(float(2 ** np.median(ratios[measured])), 3),
            "model_median": round(float(2 ** np.median(model[measured])), 3)}
    return report


def evaluate_feel(engine: Engine, files: Sequence[Path], lookahead: float | None,
                  meter: bool = True) -> dict:
    """The feel report of a style over performances whose DAW case knows the players'
    timing; a file that cannot be read is skipped with its reason counted."""
    if not engine.contract.timing:
        raise HumanizerError(f"style {engine.contract.name} predicts no timing: --feel "
                             "measures a style with a timing head")
    feels, skipped = [], 0
    for path in progress(files, len(files), "feel"):
        try:
            feel = feel_of(engine, path, lookahead, meter)
        except HumanizerError:
            feel = None
        if feel is None or np.isnan(feel.played_offsets).all():
            skipped += 1
            continue
        feels.append(feel)
    if not feels:
        raise HumanizerError("no file knows the players' timing: --feel needs ASAP (its match "
                             "files), the Weimar Jazz Database or the Groove MIDI Dataset")
    return {"files": len(feels), "skipped": skipped, **feel_report(feels)}
