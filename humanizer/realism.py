"""Does it pass for a player? A classifier told to tell the players' velocities from a
style's, on the same flat parts (`humanizer eval --realism`).

MAE rewards the mean: a style that predicts each note's most likely velocity is close on
average and sounds like nobody - repeated bars come out alike, every note near its
expectation. So beside MAE, r and spread, a small gradient-boosted classifier is given
windows of WINDOW consecutive notes - their velocities and pitches against the window's
own mean, and the gaps between onsets - from the players and from the style, trained on
half the performances and tested on the others (held-out pieces). Its test accuracy is
the measure: 50 % means it cannot tell them apart, the flat input gets near 100 %
(DESIGN section 9: on held-out pianists it told the shipped piano at 500 ms 89 % of the
time, with `--variation 1` 60 %). scikit-learn is a training extra; nothing here runs
in the daemon.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from humanizer.errors import HumanizerError

WINDOW = 16  # notes a window holds
HOP = 8  # notes between the starts of two windows


def windows(velocities: np.ndarray, pitches: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(windows, features): each window's velocities and pitches less their window's mean,
    and the log gaps between its onsets (in time order)."""
    order = np.argsort(times, kind="stable")
    velocities, pitches, times = velocities[order], pitches[order], times[order]
    rows = []
    for start in range(0, len(velocities) - WINDOW + 1, HOP):
        part = slice(start, start + WINDOW)
        v, p = velocities[part].astype(np.float64), pitches[part].astype(np.float64)
        gaps = np.log(np.diff(times[part]) + 1e-3)
        rows.append(np.concatenate([v - v.mean(), p - p.mean(), gaps]))
    return np.array(rows).reshape(-1, 3 * WINDOW - 1)


def accuracy(players: Sequence[np.ndarray], made: Sequence[np.ndarray],
             pitches: Sequence[np.ndarray], times: Sequence[np.ndarray], seed: int = 0
             ) -> float:
    """Test accuracy (0-1) of a classifier telling the players' velocity sequences from
    `made` ones of the same performances: trained on the even-numbered performances,
    tested on the odd ones."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        raise HumanizerError("--realism needs scikit-learn: pip install '.[train]'") from None
    split: dict[bool, tuple[list, list]] = {True: ([], []), False: ([], [])}
    for number, (truth, output, keys, at) in enumerate(zip(players, made, pitches, times)):
        features, labels = split[number % 2 == 0]
        for label, velocities in ((1, truth), (0, output)):
            found = windows(np.asarray(velocities), np.asarray(keys), np.asarray(at))
            features.append(found)
            labels.append(np.full(len(found), label))
    (train_x, train_y), (test_x, test_y) = ((np.concatenate(x), np.concatenate(y))
                                            for x, y in (split[True], split[False]))
    if len(test_y) == 0 or len(np.unique(train_y)) < 2:
        raise HumanizerError(f"--realism needs at least two performances of {WINDOW} notes "
                             "or more")
    classifier = HistGradientBoostingClassifier(max_iter=200, random_state=seed)
    classifier.fit(train_x, train_y)
    return float(np.mean(classifier.predict(test_x) == test_y))


def realism_report(results: Sequence, seed: int = 0) -> dict[str, float]:
    """The classifier's test accuracy (per cent) on the style's output and on the flat
    input, over eval's Comparisons."""
    truth = [r.true for r in results]
    pitches = [r.pitches for r in results]
    times = [r.times for r in results]
    flat = [np.full(len(t), np.rint(t.mean())) for t in truth]
    return {"model": round(100 * accuracy(truth, [r.predicted for r in results], pitches,
                                          times, seed), 1),
            "flat": round(100 * accuracy(truth, flat, pitches, times, seed), 1)}
