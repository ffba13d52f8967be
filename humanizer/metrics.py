"""How close predicted values come to what people played (DESIGN section 6): MAE, Pearson
r and the spread ratio, pooled or per file. Arrays in, numbers out: evaluation, the
musical checks, calibration and training all measure with these."""

from __future__ import annotations

import numpy as np


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; 0 where either side is constant (a constant predicts no shape)."""
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def spread_ratio(predicted: np.ndarray, truth: np.ndarray) -> float | None:
    """std predicted / std true; None where the truth does not vary. Below 1 the
    prediction is flatter than the players (a mean prediction is about half as wide)."""
    truth_spread = truth.std()
    return float(predicted.std() / truth_spread) if truth_spread > 0 else None


def median_spread_ratio(predicted: list[np.ndarray], truth: list[np.ndarray]) -> float:
    """The median per-file (or per-crop) spread ratio; 0 where none can be measured."""
    ratios = [r for r in map(spread_ratio, predicted, truth) if r is not None]
    return float(np.median(ratios)) if ratios else 0.0


def summarize(truth: list[np.ndarray], predicted: list[np.ndarray]) -> dict[str, float]:
    """Pooled MAE, median per-file Pearson r and median per-file spread ratio."""
    errors = np.concatenate([np.abs(p - t) for p, t in zip(predicted, truth)])
    r = [pearson(p, t) for p, t in zip(predicted, truth)]
    return {"mae": round(float(errors.mean()), 3),
            "pearson_median": round(float(np.median(r)), 3),
            "spread_ratio": round(median_spread_ratio(predicted, truth), 3)}
