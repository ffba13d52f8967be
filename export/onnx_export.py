"""export_model: a trained Keras model -> a checked, self-describing ONNX style model.

Nothing is written unless every check passed: the graph is built and compared with Keras
in memory, written into a temporary folder next to the target, loaded through the engine
(which validates the contract) and only then moved into place with os.replace. A failed
export leaves no file behind and never half-overwrites an existing style.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import onnx

from humanizer.contract import Contract
from humanizer.engine import Engine
from humanizer.errors import HumanizerError

from . import convert, parity, quantize

LSTM_OPS = ("LSTM", "DynamicQuantizeLSTM")


@dataclass
class ExportReport:
    """What was written and how closely it matches the Keras model."""

    path: Path
    parity_error: float  # max abs difference, float ONNX vs Keras, model units
    inputs_checked: int  # how many probe batches the parity was measured on
    op_counts: Counter[str]  # node types of the written graph
    size_bytes: int
    quantization: quantize.QuantizationReport | None = None

    @property
    def lstm_nodes(self) -> int:
        return sum(self.op_counts[op] for op in LSTM_OPS)


def as_keras(model: keras.Model | str | os.PathLike) -> keras.Model:
    return model if isinstance(model, keras.Model) else convert.load_keras(model)


def writable_folder(output: Path) -> Path:
    folder = output.parent
    if not folder.is_dir():
        raise HumanizerError(f"{folder}: no such folder for the exported model")
    return folder


def export_model(keras_model_or_path: keras.Model | str | os.PathLike,
                 output_path: str | os.PathLike, contract: Contract,
                 quantize: bool = False) -> ExportReport:
    """Convert, check parity with Keras (max abs error <= 1e-4), store the contract, write.

    quantize=True writes the dynamic int8 model instead, after the float graph passed the
    parity check; its own error against Keras is measured and reported, not limited.
    """
    contract.check("contract")
    output = Path(output_path)
    folder = writable_folder(output)
    model = as_keras(keras_model_or_path)
    proto = convert.to_onnx(model, contract)
    inputs = parity.probe_inputs(contract)
    expected = parity.keras_outputs(model, inputs, contract)
    error = check_parity(proto, inputs, expected)
    with tempfile.TemporaryDirectory(prefix=".humanizer-export-", dir=folder) as scratch:
        written = Path(scratch) / "float.onnx"
        onnx.save(proto, written)
        report = None
        if quantize:
            report, written = quantized(written, inputs, expected, contract)
        Engine(written)  # the runtime's own validation of names, shapes and contract
        size, counts = os.path.getsize(written), convert.op_counts(onnx.load(written))
        os.replace(written, output)
    return ExportReport(output, error, len(inputs), counts, size, report)


def with_contract(style_path: str | os.PathLike, output_path: str | os.PathLike,
                  contract: Contract) -> ExportReport:
    """A shipped style's graph under a new contract - its calibration (gain, variation
    scale) and evidence - checked by the engine and moved into place as export_model
    does: how a style is recalibrated when the output step changes, without its Keras
    model. The graph is unchanged, so its parity error is 0 by construction."""
    contract.check("contract")
    output = Path(output_path)
    folder = writable_folder(output)
    proto = onnx.load(str(style_path))
    convert.set_contract(proto, contract)
    with tempfile.TemporaryDirectory(prefix=".humanizer-export-", dir=folder) as scratch:
        written = Path(scratch) / "style.onnx"
        onnx.save(proto, written)
        Engine(written)
        size, counts = os.path.getsize(written), convert.op_counts(onnx.load(written))
        os.replace(written, output)
    return ExportReport(output, 0.0, 0, counts, size)


def check_parity(proto: onnx.ModelProto, inputs: list[np.ndarray],
                 expected: list[np.ndarray]) -> float:
    """The float graph's max difference from Keras; refused above parity.TOLERANCE."""
    session = parity.onnx_session(proto.SerializeToString())
    error = parity.max_difference(session, inputs, expected)
    if not error <= parity.TOLERANCE:  # also catches inf (a wrong output shape)
        raise HumanizerError(
            f"the ONNX export does not match the Keras model (max difference {error:.2g}, "
            f"limit {parity.TOLERANCE:.0e}); nothing was written")
    return error


def quantized(float_path: Path, inputs: list[np.ndarray], expected: list[np.ndarray],
              contract: Contract) -> tuple[quantize.QuantizationReport, Path]:
    """The int8 model next to the float one, and how it compares."""
    int8_path = float_path.with_name("int8.onnx")
    quantize.quantize_file(float_path, int8_path)
    session = parity.onnx_session(int8_path.read_bytes())
    error = parity.max_difference(session, inputs, expected)
    return quantize.compare(float_path, int8_path, error, contract.deviation_scale), int8_path
