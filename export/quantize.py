"""Optional dynamic int8 quantization: smaller and faster, at a measured accuracy cost.

onnxruntime turns each LSTM into a DynamicQuantizeLSTM with int8 weights (DESIGN section 4:
about 4x smaller, 1.3-1.7x faster, max error ~0.004 units). It is an option, not the
default, so every quantized export reports its own error against Keras, in model units
and in velocity steps.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

from humanizer import encoding
from humanizer.contract import INPUT_NAME, OUTPUT_NAME
from humanizer.engine import session_options

TIMING_FRAMES = 256  # a 5 s window at 50 fps, batch 1: the daemon's kind of call
TIMING_REPEATS = 20


@dataclass
class QuantizationReport:
    """The int8 model against the float one: error vs Keras, size, speed."""

    error_units: float  # max abs difference from Keras, model units
    error_velocity: float  # the same in velocity steps (units * deviation_scale)
    size_before: int  # bytes, float model
    size_after: int  # bytes, int8 model
    ms_before: float  # median time of one call, float model
    ms_after: float  # the same, int8 model


def quantize_file(source: Path, target: Path) -> None:
    """Write the int8 version of `source` to `target`; metadata_props are kept.

    onnxruntime warns on the root logger that pre-processing (shape inference for
    convolution nets) should run first; for these LSTM graphs the error is measured
    instead, so the warning is only noise on a musician's terminal.

    Weights use 7 of their 8 bits (`reduce_range`): on a CPU with AVX2 but no AVX-512
    VNNI, onnxruntime's u8 x s8 products saturate (its documented caveat), and the tiny
    test model's error rose from below 0.05 to 0.37 units (11.7 velocity steps).
    """
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, reduce_range=True)
    finally:
        root.setLevel(level)


def milliseconds_per_call(path: Path, repeats: int = TIMING_REPEATS) -> float:
    """Median time of one batch-1 call on one thread, as the engine runs it."""
    session = ort.InferenceSession(str(path), session_options(1),
                                   providers=["CPUExecutionProvider"])
    frames = np.zeros((1, TIMING_FRAMES, encoding.INPUTS), dtype=np.float32)
    frames[0, ::7, ::5] = 1.0  # sparse, like a piano roll
    session.run([OUTPUT_NAME], {INPUT_NAME: frames})  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run([OUTPUT_NAME], {INPUT_NAME: frames})
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def compare(float_path: Path, int8_path: Path, error_units: float,
            deviation_scale: float) -> QuantizationReport:
    """Size and speed of both files, with the int8 model's measured error."""
    return QuantizationReport(
        error_units=error_units,
        error_velocity=error_units * deviation_scale,
        size_before=os.path.getsize(float_path),
        size_after=os.path.getsize(int8_path),
        ms_before=milliseconds_per_call(float_path),
        ms_after=milliseconds_per_call(int8_path),
    )
