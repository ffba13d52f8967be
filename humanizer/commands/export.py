"""`humanizer export MODEL.keras -o STYLE.onnx`: turn a trained model into a style.

The contract comes from the trainer's sidecar `<MODEL.keras>.contract.json` when there is
one (gain, training mean, metrics, frame rate...), and command-line flags override it, so a
model can be renamed or relabelled at export without retraining.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from humanizer import models
from humanizer.contract import Contract
from humanizer.errors import HumanizerError
from humanizer.export.onnx_export import ExportReport, export_model
from humanizer.export.parity import TOLERANCE
from humanizer.export.quantize import TIMING_FRAMES

SIDECAR_SUFFIX = ".contract.json"
STYLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# flag -> contract field; a flag left out keeps the sidecar's value (or the default)
OVERRIDES = {"name": "name", "description": "description", "instrument": "instrument",
             "licence": "licence", "data": "data", "context": "context_seconds",
             "lookahead": "lookahead_seconds"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL.keras", help="a model saved by humanizer train")
    parser.add_argument("-o", "--output", metavar="STYLE.onnx",
                        help="the style model to write (default: MODEL with .onnx)")
    parser.add_argument("--name", help="style name (default: from the trainer, else the "
                                       "output file name)")
    parser.add_argument("--description", metavar="TEXT", help="one line about the style")
    parser.add_argument("--instrument", metavar="NAME", help="piano, drums, ...")
    parser.add_argument("--licence", metavar="TEXT", help="licence of the training data")
    parser.add_argument("--data", metavar="TEXT", help="what the model was trained on")
    parser.add_argument("--context", type=float, metavar="SECONDS",
                        help="context the model was trained to see around a note")
    parser.add_argument("--lookahead", type=float, metavar="SECONDS",
                        help="lookahead the model was trained for")
    parser.add_argument("--quantize", action="store_true",
                        help="write an int8 model: smaller and faster, error reported")
    parser.add_argument("--install", action="store_true",
                        help="also install the style in your model folder")


def read_sidecar(model: Path) -> dict[str, Any]:
    """The trainer's contract fields for this model, or {} if it wrote none."""
    path = Path(str(model) + SIDECAR_SUFFIX)
    if not path.is_file():
        return {}
    try:
        values = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise HumanizerError(f"{path}: not readable JSON") from None
    if not isinstance(values, dict):
        raise HumanizerError(f"{path}: not a JSON object of contract fields")
    return values


def build_contract(args: argparse.Namespace, output: Path, sidecar: dict[str, Any]) -> Contract:
    """Sidecar fields, overridden by the flags given; the name falls back to the file's.

    Fields the contract does not know (the trainer's hyperparameters) are left out.
    """
    known = Contract.__dataclass_fields__
    values = {key: value for key, value in sidecar.items() if key in known}
    for flag, key in OVERRIDES.items():
        if getattr(args, flag) is not None:
            values[key] = getattr(args, flag)
    values.setdefault("name", output.stem)
    check_name(values["name"])
    lookahead = values.get("lookahead_seconds", 0.0)
    if not isinstance(lookahead, int | float) or lookahead < 0:
        raise HumanizerError("the lookahead must be zero or more seconds")
    try:
        contract = Contract(**values)
    except TypeError as error:
        raise HumanizerError(f"bad contract fields for the model ({error})") from None
    contract.check(str(output))
    return contract


def check_name(name: Any) -> None:
    """A style name is also its file name in the model folder: keep it plain."""
    if not isinstance(name, str) or not STYLE_NAME.fullmatch(name) or name.endswith(".onnx"):
        raise HumanizerError(f"'{name}' cannot be a style name: use letters, digits, '-', "
                             "'_' or '.'")


def output_path(args: argparse.Namespace) -> Path:
    output = Path(args.output) if args.output else Path(args.model).with_suffix(".onnx")
    if output.suffix != ".onnx":
        raise HumanizerError(f"{output}: the output must be an .onnx file")
    return output


def install(path: Path, name: str) -> Path:
    """Copy the style into the user's model folder, atomically: a running daemon may be
    reading the style it replaces."""
    folder = models.user_folder()
    target = folder / f"{name}.onnx"
    if target.exists() and target.samefile(path):
        return target
    partial = folder / f".{name}.onnx.installing"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, partial)
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise HumanizerError(f"could not install into {folder} ({error.strerror})") from None
    return target


def megabytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def summary(report: ExportReport) -> list[str]:
    """A few lines a user can read and paste into an issue."""
    nodes = ", ".join(f"{count} {op}" for op, count in report.op_counts.most_common())
    lines = [
        f"wrote {report.path} ({megabytes(report.size_bytes)}): {report.lstm_nodes} LSTM, "
        f"{report.op_counts.total()} nodes in all ({nodes})",
        f"parity with Keras: max difference {report.parity_error:.1e} (limit {TOLERANCE:.0e}) "
        f"over {report.inputs_checked} input batches",
    ]
    quant = report.quantization
    if quant:
        lines.append(
            f"int8: max difference {quant.error_units:.4f} units = "
            f"{quant.error_velocity:.2f} velocity steps; size {megabytes(quant.size_before)} "
            f"-> {megabytes(quant.size_after)}; {quant.ms_before:.2f} -> {quant.ms_after:.2f} "
            f"ms per {TIMING_FRAMES}-frame call")
    return lines


def run(args: argparse.Namespace) -> int:
    model = Path(args.model)
    if not model.is_file():
        raise HumanizerError(f"{model}: no such file")
    output = output_path(args)
    contract = build_contract(args, output, read_sidecar(model))
    report = export_model(model, output, contract, quantize=args.quantize)
    for line in summary(report):
        print(line)
    if args.install:
        print(f"installed style '{contract.name}': {install(output, contract.name)}")
    return 0
