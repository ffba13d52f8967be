"""A context-free baseline on the note-level features (DESIGN section 8): gradient boosting
(scikit-learn's HistGradientBoostingRegressor) on each note's `notefeatures` alone - no
phrase, no neighbours' predictions - trained on ASAP's exact DAW case, measured as `eval
--input match` measures a style (whole file, re-centred on the part's level, a gain).

A note-level Bi-LSTM that hears the phrase must beat it. Training-only (scikit-learn is in
the train extra):

    python -m humanizer.training.baseline ../shared/data/asap [--notes 600000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from humanizer import levels, note_engine, notefeatures
from humanizer.cases import Case, files_of, match_case
from humanizer.errors import HumanizerError
from humanizer.metrics import summarize
from humanizer.windows import Texture

GAINS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0)


def rows(case: Case, level_seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, targets, levels) of the played notes of one case, in the case's note
    order: the features a whole-file window gives, the target deviation of each played
    velocity from the played local level (model units), the input's level."""
    order = np.argsort([note.start for note in case.notes], kind="stable")
    meter = None if case.meter is None else case.meter[order]
    part = Texture.of([case.notes[i] for i in order], meter=meter)
    steps, seen, in_time = note_engine.steps_of(part, np.arange(len(order)), np.inf,
                                                level_seconds, False)
    features, heard = np.empty_like(steps), np.empty(len(order))
    features[order[seen]] = steps  # steps come in step order: back to the case's
    heard[order] = in_time
    features, heard = features[case.measured], heard[case.measured]
    times = np.array([case.notes[i].start for i in case.measured])
    targets = levels.deviations_of(times, case.truth, level_seconds) \
        / notefeatures.DEVIATION_SCALE
    return features, targets, heard


def cases(data: Path, split: str) -> list[Case]:
    """The match cases of a split, those the match files make usable (as eval skips)."""
    found = []
    for path in files_of([str(data)], split):
        try:
            case = match_case(path)
        except HumanizerError:
            continue
        if case is not None:
            found.append(case)
    return found


def shaped(model, case: Case, level_seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """(the input's levels, the baseline's deviations re-centred on their local mean) of
    a case's played notes: computed once, then scaled by each gain."""
    features, _, heard = rows(case, level_seconds)
    deviation = model.predict(features) * notefeatures.DEVIATION_SCALE
    times = np.array([case.notes[i].start for i in case.measured])
    return heard, levels.deviations_of(times, deviation, level_seconds)


def predictions(model, case: Case, level_seconds: float, gain: float) -> np.ndarray:
    """The velocities the baseline gives a case's played notes at `gain`."""
    levels, centred = shaped(model, case, level_seconds)
    return np.clip(np.rint(levels + gain * centred), 1, 127)


def measure(model, split: list[Case], level_seconds: float) -> dict[float, dict]:
    """Metrics per gain; each case's features and prediction are made once."""
    done = [shaped(model, case, level_seconds) for case in split]
    return {gain: summarize([case.truth for case in split],
                            [np.clip(np.rint(levels + gain * centred), 1, 127)
                             for levels, centred in done])
            for gain in GAINS}


def main() -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("asap", type=Path)
    parser.add_argument("--notes", type=int, default=600_000, help="training notes drawn")
    parser.add_argument("--level", type=float, default=8.0, help="level width, seconds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    train = cases(args.asap, "train")
    features, targets = zip(*[rows(case, args.level)[:2] for case in train])
    features, targets = np.concatenate(features), np.concatenate(targets)
    pick = np.random.default_rng(args.seed).permutation(len(targets))[:args.notes]
    print(f"{len(train)} training performances, {len(targets)} notes, {len(pick)} drawn; "
          f"features {time.perf_counter() - started:.0f} s")
    model = HistGradientBoostingRegressor(max_iter=400, learning_rate=0.1, max_leaf_nodes=63,
                                          early_stopping=True, random_state=args.seed)
    model.fit(features[pick], targets[pick])
    print(f"trained in {time.perf_counter() - started:.0f} s ({model.n_iter_} iterations)")
    for split in ("validation", "test"):
        chosen = cases(args.asap, split)
        flat = summarize([case.truth for case in chosen],
                         [np.full(len(case.truth), case.notes[case.measured[0]].velocity,
                                  dtype=np.float64) for case in chosen])
        print(f"{split}: {len(chosen)} performances; flat {flat}")
        for gain, metrics in measure(model, chosen, args.level).items():
            print(f"  gain {gain:.2f}: {metrics}")


if __name__ == "__main__":
    main()
