"""`humanizer train DATA... -o MODEL.keras --name STYLE`: train a style model."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from humanizer.errors import HumanizerError
from humanizer.training.train import TrainConfig, train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", nargs="+", metavar="DATA",
                        help="data set folders: ASAP, the Groove MIDI Dataset, or any folder "
                             "of performance MIDI files")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL.keras")
    parser.add_argument("--name", required=True, help="style name, e.g. piano")
    parser.add_argument("--instrument", default="piano",
                        help="piano (transposed in training) or drums (never transposed)")
    parser.add_argument("--input", choices=("performance", "score"), default="performance",
                        help="train on performances with their velocities flattened "
                             "(default), or on the DAW case: ASAP's aligned scores, or drums "
                             "snapped to the grid of their tempo")
    parser.add_argument("--timing", action="store_true",
                        help="also learn each note's onset offset (needs --input score)")
    parser.add_argument("--level", type=float, default=3.0, metavar="SECONDS",
                        help="width of the level the model's deviations are measured from "
                             "(default 3 s; longer lets it shape phrases)")
    parser.add_argument("--minutes", type=float, default=20.0, help="time budget")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--patience", type=int, default=12)
    parser.add_argument("--units", type=int, default=96)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--crop", type=float, default=10.0, help="training crop in seconds")
    parser.add_argument("--crops-per-performance", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="use at most N performances per split")
    parser.add_argument("--licence", default="", help="licence of the training data")
    parser.add_argument("--description", default="")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    for folder in args.data:
        if not Path(folder).is_dir():
            raise HumanizerError(f"{folder}: no such data folder")
    if not args.output.endswith(".keras"):
        raise HumanizerError("the output must be a .keras file")
    config = TrainConfig(
        data=args.data, output=args.output, name=args.name, instrument=args.instrument,
        minutes=args.minutes, epochs=args.epochs, patience=args.patience, units=args.units,
        layers=args.layers, crop_seconds=args.crop,
        crops_per_performance=args.crops_per_performance, batch_size=args.batch_size,
        learning_rate=args.learning_rate, seed=args.seed, limit=args.limit,
        transpose=3 if args.instrument == "piano" else 0, input=args.input, timing=args.timing,
        level_seconds=args.level,
        licence=args.licence, description=args.description,
    )
    result = train(config)
    validation = result["metrics"]["validation"]
    print(f"saved {args.output}: validation MAE {validation['mae']:.2f} "
          f"(no deviation {validation['zero_mae']:.2f}), spread {validation['spread_ratio']:.2f}"
          + (f", timing MAE {validation['timing_mae_ms']:.1f} ms (no offset "
             f"{validation['timing_zero_ms']:.1f} ms)" if args.timing else ""))
    return 0
