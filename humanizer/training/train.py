"""Training loop: random crops of performances -> masked-loss Keras model -> .keras file.

Each epoch draws fresh crops (one per training performance by default) with augmentation -
transposition for pitched instruments, tempo stretch - then reports validation metrics on
fixed crops: velocity MAE on onsets and the spread ratio (std predicted / std true
deviations, median per crop; below 1 means flattened). The best epoch by validation MAE is
kept; training stops early when it stops improving or the time budget is spent.

Beside the model it writes `<model>.contract.json`: the contract fields that the export
copies into the ONNX model (gain, training mean, metrics, encoding parameters).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from humanizer import encoding, levels, notefeatures
from humanizer.datasets.catalog import performances
from humanizer.datasets.performance import Performance, load_pair, load_performance
from humanizer.errors import HumanizerError
from humanizer.metrics import median_spread_ratio

INPUTS = ("performance", "score")
LIVE_BAND = 2.0  # seconds before what the lookahead heard past: a live crop's targets
LIVE_LOOKAHEADS = (0.0, 0.6)  # seconds past its targets a live frame crop hears


@dataclass
class TrainConfig:
    data: list[str]
    output: str
    name: str = "style"
    instrument: str = "piano"
    fps: float = encoding.DEFAULT_FPS
    crop_seconds: float = 10.0
    validation_crop_seconds: float = 30.0
    batch_size: int = 32
    units: int = 96
    layers: int = 2
    dropout: float = 0.1
    learning_rate: float = 2e-3
    epochs: int = 200
    minutes: float = 20.0
    patience: int = 12
    crops_per_performance: int = 1
    transpose: int = 3
    stretch: float = 0.1
    seed: int = 0
    limit: int | None = None  # at most this many performances per split (quick runs)
    context_seconds: float = 4.0
    lookahead_seconds: float = 0.5
    input: str = "performance"  # or "score": aligned ASAP scores, grid-snapped drums
    level_seconds: float = levels.LEVEL_SECONDS  # the level deviations are measured from
    timing: bool = False  # a second head predicting onset offsets (needs score input)
    decay: str = "none"  # or "linear": the learning rate falls to the time budget
    drum_map: str = "notes"  # drums: each recorded note, or each kit class (humanizer.drumkit)
    # crops whose targets are only the onsets a live window predicts: those within
    # LIVE_BAND before a random lookahead from the crop's end (the rest hear seconds more)
    live_share: float = 0.0
    licence: str = ""
    description: str = ""
    sources: list[str] = field(default_factory=list)


def load_split(roots: list[str], split: str, limit: int | None,
               input_kind: str = "performance",
               level_seconds: float = levels.LEVEL_SECONDS) -> list[Performance]:
    """The performances of one split of the data set folders, as played or as the DAW
    case; a file that cannot be read is skipped with a message, never fatal."""
    paths = [p for root in roots for p in performances(root, split)]
    if limit is not None:
        paths = paths[:limit]
    load = load_pair if input_kind == "score" else load_performance
    loaded = []
    for path in paths:
        try:
            performance = load(path, level_seconds)
        except HumanizerError as error:
            print(f"skipped {error}", file=sys.stderr)
            continue
        if performance is not None:
            loaded.append(performance)
    return loaded


def hear_kit(performance: Performance, drum_map: str) -> None:
    """The notes as the style will hear them from a user (humanizer.drumkit): with
    `classes`, every articulation of a piece becomes that piece."""
    from humanizer import drumkit

    heard = [drumkit.heard_as(int(p), drum_map) for p in performance.pitches]
    performance.pitches = np.array([p if h is None else h
                                    for p, h in zip(performance.pitches, heard)])


Crop = tuple[np.ndarray, np.ndarray, np.ndarray]


def crop(performance: Performance, start: float, frames: int, fps: float,
         stretch: float = 1.0, transpose: int = 0) -> Crop:
    """Input frames and onset targets (NaN where no onset) of one crop of a performance:
    velocity deviations, and onset offsets (OFFSET_SCALE units; NaN when it has none)."""
    first = int(encoding.frame_index(start, fps))
    end_time = (first + frames) / fps
    starts, ends = performance.starts * stretch, performance.ends * stretch
    inside = (starts < end_time) & (ends >= first / fps)
    notes = [n for n, keep in zip(performance.notes(stretch, transpose), inside) if keep]
    x = encoding.encode(notes, first, frames, fps)
    y = np.full((frames, encoding.KEYS), np.nan, dtype=np.float32)
    offsets = np.full((frames, encoding.KEYS), np.nan, dtype=np.float32)
    onset = encoding.frame_index(starts, fps) - first
    hit = (onset >= 0) & (onset < frames)
    cells = onset[hit], performance.pitches[hit] + transpose - encoding.LOWEST_KEY
    y[cells] = performance.deviations[hit] / notefeatures.DEVIATION_SCALE
    if performance.offsets is not None:
        offsets[cells] = performance.offsets[hit] * stretch / notefeatures.OFFSET_SCALE
    return x, y, offsets


def live_only(crop_: Crop, fps: float, lookahead: float) -> Crop:
    """The crop with its targets kept only where a live window predicts them: within
    LIVE_BAND before `lookahead` from its end."""
    x, y, offsets = crop_
    frames = np.arange(len(y))
    end = len(y) - lookahead * fps
    outside = (frames > end) | (frames < end - LIVE_BAND * fps)
    y, offsets = y.copy(), offsets.copy()
    y[outside], offsets[outside] = np.nan, np.nan
    return x, y, offsets


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


def stack(crops: list[Crop]) -> Crop:
    return tuple(np.stack(parts) for parts in zip(*crops))  # type: ignore[return-value]


def random_crops(performances_: list[Performance], config: TrainConfig,
                 rng: np.random.Generator) -> Crop:
    frames = int(config.crop_seconds * config.fps)
    crops = []
    for performance in performances_:
        for _ in range(config.crops_per_performance):
            stretch = 1.0 + rng.uniform(-config.stretch, config.stretch)
            low = encoding.LOWEST_KEY - int(performance.pitches.min())
            high = 108 - int(performance.pitches.max())
            transpose = int(rng.integers(max(-config.transpose, low),
                                         min(config.transpose, high) + 1))
            first, last = performance.starts.min() * stretch, performance.starts.max() * stretch
            start = rng.uniform(first - config.crop_seconds / 2,
                                max(first, last - config.crop_seconds / 2))
            crops.append(crop(performance, max(0.0, start), frames, config.fps, stretch,
                              transpose))
            if config.live_share > 0 and rng.random() < config.live_share:
                crops[-1] = live_only(crops[-1], config.fps, rng.uniform(*LIVE_LOOKAHEADS))
    return stack(crops)


def validation_crops(performances_: list[Performance], config: TrainConfig) -> Crop:
    """Fixed crops: the start of each validation performance, and its middle if long."""
    frames = int(config.validation_crop_seconds * config.fps)
    crops = []
    for performance in performances_:
        starts = {0.0, max(0.0, performance.duration / 2 - config.validation_crop_seconds / 2)}
        for start in sorted(starts):
            crops.append(crop(performance, start, frames, config.fps))
    return stack(crops)


def timing_metrics(predicted: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Onset-offset MAE in milliseconds over onset cells, and with no offset at all."""
    mask = ~np.isnan(targets)
    scale = notefeatures.OFFSET_SCALE * 1000
    return {"timing_mae_ms": float(np.abs(predicted[mask] - targets[mask]).mean() * scale),
            "timing_zero_ms": float(np.abs(targets[mask]).mean() * scale)}


def spread_metrics(predicted: np.ndarray, targets: np.ndarray, scale: float) -> dict[str, float]:
    """MAE in velocity steps over onset cells, and the median per-crop spread ratio."""
    mask = ~np.isnan(targets)
    errors = np.abs(predicted[mask] - targets[mask]) * scale
    kept = [i for i in range(len(targets)) if mask[i].sum() > 2]
    zero = np.abs(targets[mask]) * scale
    return {"mae": float(errors.mean()), "zero_mae": float(zero.mean()),
            "spread_ratio": median_spread_ratio([predicted[i][mask[i]] for i in kept],
                                                [targets[i][mask[i]] for i in kept])}


def train(config: TrainConfig) -> dict:
    """Train, checkpoint the best epoch to config.output, write the contract sidecar."""
    import keras

    from humanizer.training.model import build_model, masked_mse

    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    if config.input not in INPUTS:
        raise HumanizerError(f"input must be one of {', '.join(INPUTS)}")
    if config.timing and config.input != "score":
        raise HumanizerError("a timing head learns offsets from a score: use --input score")
    train_set = load_split(config.data, "train", config.limit, config.input,
                           config.level_seconds)
    validation_set = load_split(config.data, "validation", config.limit, config.input,
                                config.level_seconds)
    if not train_set:
        raise HumanizerError("no training performances found in " + ", ".join(config.data))
    if config.instrument == "drums":
        for performance in train_set + validation_set:
            hear_kit(performance, config.drum_map)
    if not validation_set:
        validation_set = train_set[-1:]
    print(f"training on {len(train_set)} performances, validating on {len(validation_set)}",
          flush=True)
    x_val, y_val, offsets_val = validation_crops(validation_set, config)
    _, y_live, offsets_live = stack([live_only(one, config.fps, config.lookahead_seconds)
                                     for one in zip(x_val, y_val, offsets_val)])
    model = build_model(config.units, config.layers, config.dropout, config.timing)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0),
                  loss=[masked_mse, masked_mse] if config.timing else masked_mse)
    output = Path(config.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    best: dict = {"score": np.inf}
    history = []
    began = time.monotonic()
    waited = 0
    for epoch in range(config.epochs):
        rate = learning_rate_at(config.learning_rate, config.decay,
                                (time.monotonic() - began) / 60, config.minutes)
        model.optimizer.learning_rate.assign(rate)
        x, y, offsets = random_crops(train_set, config, rng)
        fit = model.fit(x, [y, offsets] if config.timing else y, batch_size=config.batch_size,
                        epochs=1, shuffle=True, verbose=1 if sys.stdout.isatty() else 2)
        predicted = model.predict(x_val, batch_size=8, verbose=0)
        if config.timing:
            predicted, predicted_offsets = predicted
        metrics = spread_metrics(predicted, y_val, notefeatures.DEVIATION_SCALE)
        metrics["live"] = spread_metrics(predicted, y_live, notefeatures.DEVIATION_SCALE)
        if config.timing:
            metrics.update(timing_metrics(predicted_offsets, offsets_val))
            metrics["live"].update(timing_metrics(predicted_offsets, offsets_live))
        # the epoch kept is the one with the least error relative to no deviation (and,
        # with a timing head, no offset), both heads weighing alike - where the style is
        # trained to play: live, with a live share
        chosen = metrics["live"] if config.live_share > 0 and has_notes(y_live) else metrics
        metrics["score"] = chosen["mae"] / chosen["zero_mae"]
        heads = ""
        if config.timing:
            metrics["score"] += chosen["timing_mae_ms"] / chosen["timing_zero_ms"]
            heads = (f"  timing MAE {metrics['timing_mae_ms']:.1f} ms "
                     f"(no offset {metrics['timing_zero_ms']:.1f})")
        heads += f"  live {metrics['live']['mae']:.2f} ({metrics['live']['zero_mae']:.2f})"
        if config.timing:
            heads += f" {metrics['live']['timing_mae_ms']:.1f} ms"
        metrics.update(epoch=epoch + 1, loss=float(fit.history["loss"][-1]), learning_rate=rate,
                       minutes=(time.monotonic() - began) / 60)
        history.append(metrics)
        improved = metrics["score"] < best["score"]
        print(f"epoch {epoch + 1}: loss {metrics['loss']:.4f}  val MAE {metrics['mae']:.2f} "
              f"(no deviation {metrics['zero_mae']:.2f})  spread {metrics['spread_ratio']:.2f}"
              f"{heads}{'  *' if improved else ''}", flush=True)
        if improved:
            best, waited = metrics, 0
            model.save(output)
        else:
            waited += 1
        if waited >= config.patience or metrics["minutes"] >= config.minutes:
            break
    train_mean = float(np.mean(np.concatenate([p.velocities for p in train_set])))
    sidecar = {
        "name": config.name, "instrument": config.instrument, "fps": config.fps,
        "description": config.description, "licence": config.licence,
        "data": ", ".join(config.sources or [Path(d).name for d in config.data])
                + f": {len(train_set)} training performances",
        "context_seconds": config.context_seconds,
        "input": config.input,
        "level_seconds": config.level_seconds,
        "outputs": ["velocity_deviation"] + (["onset_offset"] if config.timing else []),
        **({"drum_map": config.drum_map} if config.instrument == "drums" else {}),
        "lookahead_seconds": config.lookahead_seconds,
        "train_mean": train_mean,
        "metrics": {"validation": best, "epochs": len(history)},
        "training": {k: v for k, v in asdict(config).items() if k not in ("data", "output")},
    }
    Path(str(output) + ".contract.json").write_text(json.dumps(sidecar, indent=2))
    return sidecar
