"""Musical checks beside MAE and r (`humanizer eval`): does a style shape a part the way
the player did where it matters most - the top of a chord, the strong beats - and how
close does it come to what the other players of the same piece agree on?

- `top_notes`: over chords (notes within notefeatures.CHORD_SECONDS, two or more), how
  often the model puts the top note above the rest of its chord, or below, as the player
  did (chords the player played even are left out; a model that plays them even scores a
  half).
- `accent_profile`: the mean deviation from the part's mean at each beat of the bar
  (downbeat, beat 2, ... and the off-beats between), the model's beside the player's.
- `consensus`: where a piece has several performances (ASAP), each one's leave-one-out
  consensus - its own level (its mean, the flat input a model is given) plus the mean
  deviation of the other players from their own means on the same score notes - measured
  as a model would be: the ceiling of what the score tells. (Its own *local* level would
  hand the consensus the player's phrasing, which no model is given.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from humanizer.consensus import Key, agreed, score_keys
from humanizer.datasets.match import match_of, read_match
from humanizer.errors import HumanizerError
from humanizer.metrics import summarize
from humanizer.notefeatures import chords


def top_note_agreement(times: np.ndarray, pitches: np.ndarray, true: np.ndarray,
                       predicted: np.ndarray) -> tuple[float, int]:
    """(agreements, chords counted) of one part: see the module's `top_notes`."""
    order = np.lexsort((pitches, times))
    times, pitches, true, predicted = times[order], pitches[order], true[order], predicted[order]
    first = chords(times)
    agreed, counted = 0.0, 0
    for start in np.unique(first):
        members = np.flatnonzero(first == start)
        if len(members) < 2:
            continue
        top, rest = members[np.argmax(pitches[members])], members[pitches[members]
                                                                  < pitches[members].max()]
        if not len(rest):
            continue
        played = np.sign(true[top] - true[rest].mean())
        if played == 0:
            continue
        model = np.sign(predicted[top] - predicted[rest].mean())
        agreed += 0.5 if model == 0 else float(model == played)
        counted += 1
    return agreed, counted


def top_notes(results: Sequence) -> dict[str, float]:
    """Share of chords whose top note the model places as the player did (per cent)."""
    agreed = counted = 0.0
    for result in results:
        a, c = top_note_agreement(result.times, result.pitches, result.true, result.predicted)
        agreed, counted = agreed + a, counted + c
    return {"chords": int(counted),
            "model_agrees": round(100 * agreed / counted, 1) if counted else 0.0}


BEAT_STEPS = 2  # the accent profile's resolution: beats and the off-beats between


def profile_of(positions: np.ndarray, beats: np.ndarray, deviations: np.ndarray
               ) -> dict[str, float]:
    """Mean deviation per place in the bar ('1', '1+', '2', ...), for bars of the most
    common length."""
    length = int(np.bincount(beats.astype(int)).argmax()) if len(beats) else 4
    mine = beats == length
    steps = np.floor(positions[mine] * BEAT_STEPS + 1e-6).astype(int) % (length * BEAT_STEPS)
    means = place_means(steps, deviations[mine], length * BEAT_STEPS)
    return {f"{step // BEAT_STEPS + 1}{'+' if step % BEAT_STEPS else ''}": float(mean)
            for step, mean in enumerate(means) if not np.isnan(mean)}


def place_means(steps: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """The mean of `values` at each place in the bar (`steps`: each value's place, 0 to
    count - 1); NaN where nothing falls: the accent profile, in eval and in the plots."""
    return np.array([values[steps == step].mean() if np.any(steps == step) else np.nan
                     for step in range(count)])


def accent_profile(results: Sequence) -> dict[str, dict[str, float]]:
    """The players' and the model's accent at each place in the bar, over every result
    whose meter is known: how far above the part's mean each place is played."""
    positions, beats, true, model = [], [], [], []
    for result in results:
        if result.meter is None or not result.meter.known.any():
            continue
        positions.append(result.meter.position)
        beats.append(result.meter.beats)
        true.append(result.true - result.true.mean())
        model.append(result.predicted - result.predicted.mean())
    if not positions:
        return {}
    positions, beats = np.concatenate(positions), np.concatenate(beats)
    played = profile_of(positions, beats, np.concatenate(true))
    modelled = profile_of(positions, beats, np.concatenate(model))
    return {place: {"played": round(played[place], 2), "model": round(modelled[place], 2)}
            for place in played}


def _deviations(path: Path) -> list[tuple[Key, float, float]] | None:
    """Each played score note of one ASAP performance's match file, once (the last note
    played on it): (its score note, the played velocity, its deviation from the
    performance's mean)."""
    try:
        score = read_match(match_of(path))
    except HumanizerError:
        return None
    played = score.played
    velocities = score.velocities[played]
    mean = velocities.mean()
    keys = score_keys(score.quarters[played], score.pitches[played])
    once = {key: (v, v - mean) for key, v in zip(keys, velocities)}
    return [(key, v, own) for key, (v, own) in once.items()]


def consensus(paths: Sequence[Path]) -> dict[str, dict[str, float]] | None:
    """The leave-one-out consensus over performances of the same piece (the folder): per
    performance, each note at the performance's mean plus the mean deviation of the other
    players on that note (humanizer.consensus). Measured like a model, with `flat` on the
    same notes."""
    by_piece: dict[Path, list[list[tuple[Key, float, float]]]] = defaultdict(list)
    for path in paths:
        found = _deviations(path)
        if found:
            by_piece[path.parent].append(found)
    truth, predicted, flat = [], [], []
    for performances in by_piece.values():
        if len(performances) < 2:
            continue
        others = agreed([[(key, own) for key, _, own in notes] for notes in performances],
                        leave_out=True)
        for notes, theirs in zip(performances, others):
            rows = [(v, own, mean) for (_, v, own), mean in zip(notes, theirs)
                    if not np.isnan(mean)]
            if len(rows) < 2:
                continue
            true, own_deviation, mean = (np.array(column) for column in zip(*rows))
            truth.append(true)
            predicted.append(true - own_deviation + mean)
            flat.append(np.full(len(true), np.rint(true.mean())))
    if not truth:
        return None
    return {"performances": len(truth), "consensus": summarize(truth, predicted),
            "flat": summarize(truth, flat)}
