"""Training a frame style (encoding pianoroll88): random crops of performances -> frames ->
masked-loss Keras model -> .keras file, through the one loop (humanizer.training.loop).

Each epoch draws fresh crops (one per training performance by default) with augmentation -
transposition for pitched instruments, tempo stretch - then reports validation metrics on
fixed crops: velocity MAE on onsets and the spread ratio (std predicted / std true
deviations, median per crop; below 1 means flattened). The best epoch by validation MAE is
kept; training stops early when it stops improving or the time budget is spent.

Beside the model it writes `<model>.contract.json`: the contract fields that the export
copies into the ONNX model (gain, training mean, metrics, encoding parameters).
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from humanizer import encoding, levels, notefeatures
from humanizer.datasets.performance import Performance, load_pair, load_performance
from humanizer.errors import HumanizerError
from humanizer.metrics import median_spread_ratio
from humanizer.training import loop

INPUTS = ("performance", "score")
LIVE_BAND = 2.0  # seconds before what the lookahead heard past: a live crop's targets
LIVE_LOOKAHEADS = (0.0, 0.6)  # seconds past its targets a live frame crop hears


@dataclass
class TrainConfig(loop.LoopConfig):
    """A frame style's run (the shared fields: loop.LoopConfig)."""

    fps: float = encoding.DEFAULT_FPS
    crop_seconds: float = 10.0
    validation_crop_seconds: float = 30.0
    units: int = 96
    minutes: float = 20.0
    patience: int = 12
    crops_per_performance: int = 1
    context_seconds: float = 4.0
    input: str = "performance"  # or "score": aligned ASAP scores, grid-snapped drums
    timing: bool = False  # a second head predicting onset offsets (needs score input)
    drum_map: str = "notes"  # drums: each recorded note, or each kit class (humanizer.drumkit)


def load_split(roots: list[str], split: str, limit: int | None,
               input_kind: str = "performance",
               level_seconds: float = levels.LEVEL_SECONDS) -> list[Performance]:
    """The performances of one split, as played or as the DAW case (loop.load_split)."""
    load = load_pair if input_kind == "score" else load_performance
    return loop.load_split(roots, split, limit, load, level_seconds)


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


def scored(predicted: np.ndarray | list[np.ndarray], validation: Crop, live: Crop,
           config: TrainConfig) -> dict:
    """An epoch's metrics on the validation crops and on their live bands: velocity MAE
    and spread (and, with a timing head, onset MAE); its score is the error relative to
    no deviation (and no offset), both heads weighing alike - where the style is trained
    to play: live, with a live share."""
    (_, y_val, offsets_val), (_, y_live, offsets_live) = validation, live
    if config.timing:
        predicted, predicted_offsets = predicted
    metrics = spread_metrics(predicted, y_val, notefeatures.DEVIATION_SCALE)
    metrics["live"] = spread_metrics(predicted, y_live, notefeatures.DEVIATION_SCALE)
    if config.timing:
        metrics.update(timing_metrics(predicted_offsets, offsets_val))
        metrics["live"].update(timing_metrics(predicted_offsets, offsets_live))
    chosen = metrics["live"] if config.live_share > 0 and loop.has_notes(y_live) else metrics
    metrics["score"] = chosen["mae"] / chosen["zero_mae"]
    if config.timing:
        metrics["score"] += chosen["timing_mae_ms"] / chosen["timing_zero_ms"]
    return metrics


def described(metrics: dict, timing: bool) -> str:
    """The end of an epoch's line: the timing head's error, and the live band's."""
    heads = ""
    if timing:
        heads = (f"  timing MAE {metrics['timing_mae_ms']:.1f} ms "
                 f"(no offset {metrics['timing_zero_ms']:.1f})")
    heads += f"  live {metrics['live']['mae']:.2f} ({metrics['live']['zero_mae']:.2f})"
    if timing:
        heads += f" {metrics['live']['timing_mae_ms']:.1f} ms"
    return heads


def sets_of(config: TrainConfig) -> tuple[list[Performance], list[Performance]]:
    """The training and validation performances (the kit as the style will hear it)."""
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
    return train_set, validation_set or train_set[-1:]


def train(config: TrainConfig) -> dict:
    """Train, checkpoint the best epoch to config.output, write the contract sidecar."""
    import keras

    from humanizer.training import devices, pipeline
    from humanizer.training.keras_model import build_model, masked_mse

    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    strategy = devices.choose_strategy(config.devices)
    train_set, validation_set = sets_of(config)
    print(f"training on {len(train_set)} performances, validating on {len(validation_set)}",
          flush=True)
    print(f"training on {devices.describe(strategy, config.batch_size)}", flush=True)
    validation = validation_crops(validation_set, config)
    live = stack([live_only(one, config.fps, config.lookahead_seconds)
                  for one in zip(*validation)])
    model = devices.compiled(
        strategy, lambda: build_model(config.units, config.layers, config.dropout, config.timing),
        [masked_mse, masked_mse] if config.timing else masked_mse, config.learning_rate)

    def crops() -> tuple[np.ndarray, np.ndarray | list[np.ndarray]]:
        x, y, offsets = random_crops(train_set, config, rng)
        return x, [y, offsets] if config.timing else y

    best, epochs = loop.fit(
        model, config, crops,
        lambda model: scored(pipeline.predict(model, validation[0], 8), validation, live,
                             config),
        lambda metrics: described(metrics, config.timing),
        verbose=1 if sys.stdout.isatty() else 2)
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
        "train_mean": float(np.mean(np.concatenate([p.velocities for p in train_set]))),
        "metrics": {"validation": best, "epochs": epochs},
        "training": {**{k: v for k, v in asdict(config).items() if k not in ("data", "output")},
                     "replicas": strategy.num_replicas_in_sync},
    }
    return loop.write_sidecar(config, sidecar)
