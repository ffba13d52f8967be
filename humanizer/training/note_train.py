"""Training a note-level style (humanizer.notefeatures): crops of notes -> Keras model.

Each epoch draws fresh crops of consecutive notes from every training performance, each
heard as a live window hears it: only up to a horizon, the notes whose targets count
lying at least a random lookahead before it, and notes after a crop's first second only
(they have the past a window gives them). With `live_share`, that share of the crops
counts only the notes within LIVE_BAND of that lookahead: the notes a live window
predicts, where the others hear seconds of a future no window has. Augmentation:
transposition, tempo stretch, the meter dropped at random (a style must also play where
no meter is known), the user's accents (the input velocity is the played one pulled toward
its level by a random amount, 0 for flat input half of the time; with `phrase_share`, that
share of the others carries only the phrase-level part of the played dynamics, as a drawn
contour or the notation's dynamics do, and the style learns to add the rest; with
`phrase_full` at the depth it was played), and zero rows in front (a batch of live
windows is padded that way).

Beside the model, `<model>.contract.json` as humanizer.training.train writes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from humanizer import levels, notefeatures
from humanizer.consensus import piece_consensus
from humanizer.datasets.performance import Performance, load_daw_case
from humanizer.errors import HumanizerError
from humanizer.meter import Meter
from humanizer.metrics import median_spread_ratio
from humanizer.notes import LOWEST_KEY
from humanizer.training import loop
from humanizer.training.train import LIVE_BAND

TARGETS = 3  # per note: velocity deviation, onset offset, length ratio (NaN: unknown)


@dataclass
class NoteTrainConfig(loop.LoopConfig):
    """A note-level style's run (the shared fields: loop.LoopConfig)."""

    crop_notes: int = 160
    # > 0: validate and keep an exponential average of the weights over the epochs
    # (Polyak averaging): each epoch's own weights count 1 - average in it
    average: float = 0.0
    meter_dropout: float = 0.3
    flat_share: float = 0.5  # crops whose input is flat (no accents drawn)
    # of the crops with dynamics drawn in, those whose input carries only their phrase
    # (levels.phrase: where a passage is loud or soft), not the note-level accents
    phrase_share: float = 0.0
    # a phrase crop's contour as played (True), or pulled toward its level by the crop's
    # random amount like the accents (False): a style that hears contours drawn shallower
    # than played learns to deepen every contour it is given, a user's too (the consensus
    # aim still blends at the crop's random amount)
    phrase_full: bool = False
    lookahead_range: tuple[float, float] = (0.1, 0.6)
    # aim each training crop at the consensus of its piece's players (humanizer.consensus)
    # as far as its input is flat: at accent amount a, a * played + (1 - a) * consensus
    consensus: bool = False
    # feature groups (notefeatures.GROUPS) zeroed in every crop: an ablation, to measure
    # what they are worth (the contract carries them: the style hears zeros there too)
    without: tuple[str, ...] = ()
    # crops whose input is the part as played (its timing and lengths), where the data has
    # it (ASAP): a part played in rather than drawn is heard with its own cues
    played_share: float = 0.0
    # data set folders whose timing and lengths are learned, never their velocities (a
    # drummer's kick for a bass's pocket; WJD has none anyway)
    feel_only: list[str] = field(default_factory=list)


def load_split(roots: list[str], split: str, limit: int | None,
               level_seconds: float = levels.LEVEL_SECONDS,
               feel_only: list[str] | None = None) -> list[Performance]:
    """The DAW-case performances of one split (ASAP: from the match files; parts played
    to a click: on the grid; loop.load_split), and those of the `feel_only` folders with
    their velocity targets unknown (their timing and lengths only are learned)."""
    loaded = loop.load_split(roots, split, limit, load_daw_case, level_seconds)
    for performance in loop.load_split(feel_only or [], split, limit, load_daw_case,
                                       level_seconds):
        performance.velocities = np.full(len(performance.starts), np.nan)
        performance.deviations = np.full(len(performance.starts), np.nan)
        loaded.append(performance)
    return loaded


def crop(performance: Performance, first: int, count: int, horizon_after: float,
         lookahead: float, rng: np.random.Generator | None, config: NoteTrainConfig,
         pad: int = 0, live: bool = False, consensus: np.ndarray | None = None
         ) -> tuple[np.ndarray, np.ndarray]:
    """(steps, targets) of `count` notes from `first`, padded in front with `pad` zero
    rows: targets (deviation, offset, length ratio) NaN where they do not count or the
    data does not know them - after what the
    lookahead has heard past, and, for a `live` crop, more than LIVE_BAND before it.
    With the piece's `consensus` deviations, the target is the played one as far as the
    input carries it (the accent amount) and the players' consensus for the rest."""
    end = min(first + count - pad, len(performance.starts))
    rows = np.arange(first, end)
    stretch, transpose, accent_amount, meter_kept, phrase_only = 1.0, 0, 0.0, True, False
    starts, ends = performance.starts, performance.ends
    if (rng is not None and config.played_share > 0 and performance.played_starts is not None
            and rng.random() < config.played_share):  # a part played in: as played
        rows = rows[~np.isnan(performance.played_starts[rows])]
        rows = rows[np.argsort(performance.played_starts[rows], kind="stable")]
        starts, ends = performance.played_starts, performance.played_ends
    if len(rows) < 2:
        rows, starts, ends = np.arange(first, end), performance.starts, performance.ends
    if rng is not None:
        stretch = 1.0 + rng.uniform(-config.stretch, config.stretch)
        low = LOWEST_KEY - int(performance.pitches[first:end].min())
        high = 108 - int(performance.pitches[first:end].max())
        transpose = int(rng.integers(max(-config.transpose, low),
                                     min(config.transpose, high) + 1))
        accent_amount = 0.0 if rng.random() < config.flat_share else rng.uniform(0, 1)
        meter_kept = rng.random() >= config.meter_dropout
        # no draw without phrase crops: the random stream, and so every crop, of a
        # command without --phrase-share stays what it was before the option
        phrase_only = (accent_amount > 0 and config.phrase_share > 0
                       and rng.random() < config.phrase_share)
    as_played = starts is not performance.starts
    times = starts[rows] * stretch
    ends = ends[rows] * stretch
    pitches = performance.pitches[rows] + transpose
    deviations = performance.deviations[rows] / notefeatures.DEVIATION_SCALE
    drawn = np.nan_to_num(deviations)
    depth = accent_amount
    if phrase_only:
        drawn = levels.phrase(times, drawn)
        depth = 1.0 if config.phrase_full else accent_amount
    accents = drawn * notefeatures.DEVIATION_SCALE * depth
    if consensus is not None:
        deviations = accent_amount * deviations + (1 - accent_amount) * consensus[rows] \
            / notefeatures.DEVIATION_SCALE
    meter = performance.meter[rows] if performance.meter is not None and meter_kept \
        else Meter.unknown(len(rows))
    horizon = times[-1] + horizon_after
    x = notefeatures.encode_notes(times, ends, pitches, accents, meter, horizon,
                                  drums=config.instrument == "drums")
    if config.without:
        x = notefeatures.without(x, config.without)
    y = np.full((len(rows), TARGETS), np.nan, dtype=np.float32)
    counts = (times <= horizon - lookahead) & (first == 0 or times >= times[0] + 1.0)
    if live:
        counts &= times >= horizon - lookahead - LIVE_BAND
    y[counts, 0] = deviations[counts]
    if performance.offsets is not None and not as_played:  # played in: its timing is kept
        y[counts, 1] = performance.offsets[rows][counts] * stretch / notefeatures.OFFSET_SCALE
    if performance.lengths is not None and not as_played:
        y[counts, 2] = performance.lengths[rows][counts]
    order = notefeatures.step_order(times, pitches)
    steps = np.zeros((count, notefeatures.INPUTS), dtype=np.float32)
    targets = np.full((count, TARGETS), np.nan, dtype=np.float32)
    steps[count - len(order):], targets[count - len(order):] = x[order], y[order]
    return steps, targets


def random_crops(train_set: list[Performance], config: NoteTrainConfig,
                 rng: np.random.Generator,
                 consensus: list[np.ndarray | None] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's crops; `consensus`: each performance's piece consensus (or None)."""
    xs, ys = [], []
    consensus = consensus or [None] * len(train_set)
    for performance, agreed in zip(train_set, consensus):
        for _ in range(config.crops_per_performance):
            count = config.crop_notes
            first = int(rng.integers(0, max(1, len(performance.starts) - count // 2)))
            pad = int(rng.integers(0, 24)) if rng.random() < 0.3 else 0
            x, y = crop(performance, first, count, rng.uniform(0, 0.5),
                        rng.uniform(*config.lookahead_range), rng, config, pad,
                        live=config.live_share > 0 and rng.random() < config.live_share,
                        consensus=agreed)
            xs.append(x)
            ys.append(y)
    return np.stack(xs), np.stack(ys)


def validation_crops(validation_set: list[Performance], config: NoteTrainConfig,
                     live: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Fixed crops through each validation performance, at the shipped lookahead; `live`:
    only the notes a live window predicts count."""
    xs, ys = [], []
    for performance in validation_set:
        for first in range(0, len(performance.starts), 4 * config.crop_notes)[:6]:
            x, y = crop(performance, first, config.crop_notes, 0.0, config.lookahead_seconds,
                        None, config, live=live)
            xs.append(x)
            ys.append(y)
    return np.stack(xs), np.stack(ys)


def metrics_of(predicted: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Velocity MAE over the counted notes, with no deviation, and the spread ratio; with
    feel heads, the onset error (ms) beside no offset and the length ratio's error (log2)
    beside the written length."""
    mask = ~np.isnan(targets[..., 0])
    scale = notefeatures.DEVIATION_SCALE
    errors = np.abs(predicted[..., 0][mask] - targets[..., 0][mask]) * scale
    kept = [i for i in range(len(targets)) if mask[i].sum() > 2]
    ratio = median_spread_ratio([predicted[i, :, 0][mask[i]] for i in kept],
                                [targets[i, :, 0][mask[i]] for i in kept])
    spread = np.exp(np.clip(predicted[..., 1][mask], -5, 3))
    z = (targets[..., 0][mask] - predicted[..., 0][mask]) / spread
    metrics = {"mae": float(errors.mean()) if mask.any() else float("nan"),
               "zero_mae": float(np.abs(targets[..., 0][mask]).mean() * scale)
               if mask.any() else float("nan"),
               "spread_ratio": ratio, "z_std": float(z.std()) if mask.any() else float("nan")}
    for column, (name, unit) in ((2, ("onset", notefeatures.OFFSET_SCALE * 1000)),
                                 (3, ("length", 1.0))):
        known = ~np.isnan(targets[..., column - 1])
        if predicted.shape[-1] > column and known.any():
            truth = targets[..., column - 1][known]
            metrics[f"{name}_mae"] = float(np.abs(predicted[..., column][known] - truth).mean()
                                           * unit)
            metrics[f"{name}_zero_mae"] = float(np.abs(truth).mean() * unit)
    return metrics


def feel_score(metrics: dict) -> float:
    """What chooses the best epoch: the velocity's error over no deviation's, averaged
    with the onsets' and lengths' over no change where the style learns them."""
    ratios = [metrics[f"{name}mae"] / metrics[f"{name}zero_mae"]
              for name in ("", "onset_", "length_")
              if f"{name}mae" in metrics and metrics[f"{name}zero_mae"] > 0]
    return float(np.nanmean(ratios))


def eval_input(root: str) -> str:
    """How eval gives the style its DAW case: ASAP's match files, a grid, or the part as
    it is (quantized, with its beat file)."""
    from humanizer.datasets.catalog import kind_of

    return {"asap": "match", "groove": "score"}.get(kind_of(Path(root)), "performance")


def train_notes(config: NoteTrainConfig) -> dict:
    """Train, keep the best epoch in config.output, write the contract sidecar."""
    import keras

    from humanizer.training import devices, pipeline
    from humanizer.training.keras_model import build_note_model, note_loss

    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    strategy = devices.choose_strategy(config.devices)
    train_set = load_split(config.data, "train", config.limit, config.level_seconds,
                           config.feel_only)
    validation_set = load_split(config.data, "validation", config.limit,
                                config.level_seconds, config.feel_only) or train_set[-1:]
    if not train_set:
        raise HumanizerError("no DAW-case performances found in " + ", ".join(config.data))
    print(f"training on {len(train_set)} performances, validating on {len(validation_set)}",
          flush=True)
    print(f"training on {devices.describe(strategy, config.batch_size)}", flush=True)
    consensus = piece_consensus(train_set) if config.consensus else None
    if consensus is not None:
        print(f"consensus targets for {sum(c is not None for c in consensus)} of "
              f"{len(train_set)} performances", flush=True)
    x_val, y_val = validation_crops(validation_set, config)
    _, y_live = validation_crops(validation_set, config, live=True)
    timing = any(p.offsets is not None for p in train_set)
    lengths = any(p.lengths is not None for p in train_set)
    heads = 4 if lengths else 3 if timing else 2
    model = devices.compiled(
        strategy, lambda: build_note_model(notefeatures.INPUTS, config.units, config.layers,
                                           config.dropout, heads),
        note_loss, config.learning_rate)

    def score(model) -> dict:
        predicted = pipeline.predict(model, x_val, 64)
        metrics = metrics_of(predicted, y_val)
        metrics["live"] = metrics_of(predicted, y_live)
        # the best epoch is the one that plays best where the style is trained to
        chosen = metrics["live"] if config.live_share > 0 and loop.has_notes(y_live[..., 0]) \
            else metrics
        metrics["score"] = feel_score(chosen)
        return metrics

    def describe(metrics: dict) -> str:
        feel = "".join(f"  {name} {metrics[name + '_mae']:.3g} ({metrics[name + '_zero_mae']:.3g})"
                       for name in ("onset", "length") if name + "_mae" in metrics)
        return (f"  z {metrics['z_std']:.2f}  live {metrics['live']['mae']:.2f} "
                f"({metrics['live']['zero_mae']:.2f}){feel}  {metrics['minutes']:.1f} min")

    best, epochs = loop.fit(model, config, lambda: random_crops(train_set, config, rng,
                                                                consensus),
                            score, describe, average=config.average)
    outputs = list(notefeatures.OUTPUTS[:heads])
    sidecar = {
        "name": config.name, "instrument": config.instrument, "description": config.description,
        "licence": config.licence, "encoding": notefeatures.ENCODING_NAME,
        "encoding_version": notefeatures.ENCODING_VERSION,
        "data": ", ".join(config.sources or [Path(d).name for d in config.data + config.feel_only])
                + f": {len(train_set)} training performances (the DAW case)",
        "context_seconds": config.context_seconds,
        "input": eval_input(config.data[0]),
        "level_seconds": config.level_seconds, "outputs": outputs,
        "without": list(config.without),
        "lookahead_seconds": config.lookahead_seconds,
        "train_mean": float(np.nanmean(np.concatenate([p.velocities for p in train_set]))),
        "metrics": {"validation": best, "epochs": epochs},
        "training": {**{k: v for k, v in asdict(config).items() if k not in ("data", "output")},
                     "replicas": strategy.num_replicas_in_sync},
    }
    return loop.write_sidecar(config, sidecar)


