"""`humanizer ship MODEL.keras DATA --name STYLE`: calibrate, measure and package a style.

The library it calls is humanizer.training.ship (see there for the steps). Needs the
train extra.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from humanizer import values
from humanizer.commands import checked
from humanizer.errors import HumanizerError
from humanizer.models import PACKAGED


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, metavar="MODEL.keras",
                        help="a model saved by humanizer train (with its .contract.json), "
                             "or a shipped STYLE.onnx to calibrate and measure again (after "
                             "the output step changed)")
    parser.add_argument("data", metavar="DATA", nargs="+",
                        help="the data set folders it was trained on: their validation "
                             "split picks the gain, their test split measures the style")
    parser.add_argument("--name", required=True, help="style name, e.g. piano")
    parser.add_argument("--lookahead", type=checked(lambda t: values.duration(t, "lookahead")),
                        default="500ms",
                        help="the live lookahead the test split is measured at (default "
                             "500ms; it is also measured with the whole file)")
    parser.add_argument("--output", type=Path, metavar="STYLE.onnx",
                        help="where to write the style (default: humanizer/styles/NAME.onnx)")
    parser.add_argument("--context", type=checked(lambda t: values.duration(t, "context")),
                        metavar="TIME",
                        help="how much of the past a live window hears (default: what the "
                             "model was trained with, from its card)")
    parser.add_argument("--without-timing", action="store_true",
                        help="ship the velocity head only")


def run(args: argparse.Namespace) -> int:
    if not args.model.is_file():
        raise HumanizerError(f"{args.model}: no such file")
    for folder in args.data:
        if not Path(folder).is_dir():
            raise HumanizerError(f"{folder}: no such data folder")
    if args.without_timing and args.model.suffix == ".onnx":
        raise HumanizerError("--without-timing needs the trained model (MODEL.keras): a "
                             "shipped style's heads are fixed")
    from humanizer.training.ship import ship  # TensorFlow: only once the command runs

    ship(args.model, args.data, args.name, args.lookahead,
         args.output or PACKAGED / f"{args.name}.onnx", args.without_timing, args.context)
    return 0
