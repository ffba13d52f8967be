"""The one training loop: fit on fresh crops every epoch, validate, keep the best epoch,
stop on patience or on the time budget, and write the contract sidecar beside the model.

Both model families hand it what differs - how a split is loaded, how an epoch's crops are
cut, and how an epoch is scored and described - so the loop itself (the learning rate's
schedule, the weight average, the choice of the best epoch, when to stop) is written once.
Keras is imported by the callers, never here: this module only drives a compiled model,
built under the strategy the callers chose (humanizer.training.devices), and feeds it each
epoch's crops through tf.data (humanizer.training.pipeline, imported when training starts).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from humanizer.datasets.catalog import performances
from humanizer.datasets.performance import Performance
from humanizer.errors import HumanizerError
from humanizer.levels import LEVEL_SECONDS

Loader = Callable[[Path, float], Performance | None]


@dataclass
class LoopConfig:
    """What every training run is told (each family's config adds its own crops): the
    data and the model to write, the network's size, the optimiser, the budget, the
    augmentation, and the card's text."""

    data: list[str]
    output: str
    name: str = "style"
    instrument: str = "piano"
    batch_size: int = 32  # per replica: a step takes this times the replicas
    units: int = 64
    layers: int = 2
    dropout: float = 0.1
    learning_rate: float = 2e-3
    decay: str = "none"  # or "linear": the learning rate falls to the time budget
    epochs: int = 200
    minutes: float = 40.0
    patience: int = 10
    crops_per_performance: int = 4
    transpose: int = 3
    stretch: float = 0.1
    seed: int = 0
    limit: int | None = None  # at most this many performances per split (quick runs)
    context_seconds: float = 8.0
    lookahead_seconds: float = 0.5
    level_seconds: float = LEVEL_SECONDS  # the level deviations are measured from
    # crops whose targets are only the notes a live window predicts (the rest of a crop's
    # notes hear seconds of future, which no live window does)
    live_share: float = 0.0
    licence: str = ""
    description: str = ""
    sources: list[str] = field(default_factory=list)
    devices: str = "auto"  # where it trains (humanizer.training.devices.choose_strategy)


def load_split(roots: list[str], split: str, limit: int | None, load: Loader,
               level_seconds: float = LEVEL_SECONDS) -> list[Performance]:
    """The performances of one split of the data set folders, each read by `load` (as
    played, or as the DAW case); a file that cannot be read is skipped with a message,
    never fatal; a file `load` finds nothing usable in (None) is left out."""
    paths = [p for root in roots for p in performances(root, split)]
    loaded = []
    for path in paths[:limit] if limit else paths:
        try:
            performance = load(path, level_seconds)
        except HumanizerError as error:
            print(f"skipped {error}", file=sys.stderr)
            continue
        if performance is not None:
            loaded.append(performance)
    return loaded


def learning_rate_at(config_rate: float, decay: str, minutes: float, budget: float) -> float:
    """Adam's learning rate for an epoch starting `minutes` into a `budget`: constant, or
    ("linear") falling in a straight line toward zero as the budget runs out - the
    schedule proposed for training stopped by a time budget rather than at convergence
    (Li, Yumer and Ramanan 2020, "Budgeted training"; for these styles it came out level
    with a constant rate, docs/experiments.md). It never falls below a twentieth of the
    rate, so that an epoch past the budget still learns."""
    if decay == "none" or budget <= 0:
        return config_rate
    return config_rate * max(0.05, 1.0 - minutes / budget)


def has_notes(targets: np.ndarray) -> bool:
    """Whether any target counts: validation on a live band of a tiny data set may have
    none, and an epoch scored NaN would never be kept."""
    return bool((~np.isnan(targets)).any())


def average_weights(averaged: list[np.ndarray] | None, weights: list[np.ndarray],
                    keep: float) -> list[np.ndarray]:
    """The running average after one more epoch: `keep` of the average so far and the rest
    of this epoch's weights (the first epoch's weights start it). One epoch's weights carry
    the noise of its last batches: validation moved by +-0.3 MAE from epoch to epoch."""
    if averaged is None:
        return [w.copy() for w in weights]
    return [keep * a + (1.0 - keep) * w for a, w in zip(averaged, weights)]


def fit(model: Any, config: LoopConfig, crops: Callable[[], tuple[Any, Any]],
        score: Callable[[Any], dict], describe: Callable[[dict], str],
        average: float = 0.0, verbose: int = 2) -> tuple[dict, int]:
    """Train `model` one epoch at a time on `crops()` (inputs, targets: fresh crops each
    epoch, fed through tf.data in global batches of config.batch_size per replica)
    until `config.epochs`, the patience or the time budget runs out; the epoch
    `score(model)` rates best (its metrics' "score", lower is better) is saved to
    config.output. With `average`, the weights validated and saved are the running
    average (average_weights) while training goes on from its own. Each epoch prints
    one line, its metrics after the loss, val MAE and spread and then `describe(metrics)`.
    Returns the best epoch's metrics and how many epochs ran."""
    from humanizer.training import pipeline

    output = Path(config.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    best: dict = {"score": np.inf}
    began, waited, epochs = time.monotonic(), 0, 0
    averaged = None
    for epoch in range(config.epochs):
        rate = learning_rate_at(config.learning_rate, config.decay,
                                (time.monotonic() - began) / 60, config.minutes)
        model.optimizer.learning_rate.assign(rate)
        x, y = crops()
        data = pipeline.training_data(x, y, config.batch_size, pipeline.replicas(model),
                                      pipeline.epoch_seed(config.seed, epoch))
        history = model.fit(data, epochs=1, shuffle=False, verbose=verbose)  # shuffled: data
        trained = model.get_weights()
        if average:
            averaged = average_weights(averaged, trained, average)
            model.set_weights(averaged)  # validated and saved; training goes on from `trained`
        metrics = score(model)
        metrics.update(epoch=epoch + 1, loss=float(history.history["loss"][-1]),
                       learning_rate=rate, minutes=(time.monotonic() - began) / 60)
        epochs += 1
        improved = metrics["score"] < best["score"]
        print(f"epoch {epoch + 1}: loss {metrics['loss']:.4f}  val MAE {metrics['mae']:.2f} "
              f"(no deviation {metrics['zero_mae']:.2f})  spread {metrics['spread_ratio']:.2f}"
              f"{describe(metrics)}{'  *' if improved else ''}", flush=True)
        if improved:
            best, waited = metrics, 0
            model.save(output)
        else:
            waited += 1
        if average:
            model.set_weights(trained)
        if waited >= config.patience or metrics["minutes"] >= config.minutes:
            break
    return best, epochs


def write_sidecar(config: LoopConfig, sidecar: dict) -> dict:
    """The contract sidecar beside the saved model (MODEL.keras.contract.json)."""
    Path(str(config.output) + ".contract.json").write_text(json.dumps(sidecar, indent=2))
    return sidecar
