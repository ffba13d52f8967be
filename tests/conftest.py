"""Shared fixtures: real data, and a real (tiny) model trained and exported for the tests."""

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ASAP = DATA / "asap"
GROOVE = DATA / "groove"
BACH_SCORE = ASAP / "Bach" / "Fugue" / "bwv_848" / "midi_score.mid"


def run(capsys, *args) -> tuple[int, str, str]:
    """`humanizer ARGS...` in this process: (exit status, stdout, stderr)."""
    from humanizer.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A small style model trained for seconds on a few ASAP performances, then exported
    through the real exporter (parity-checked against Keras)."""
    pytest.importorskip("tensorflow")
    from humanizer.contract import Contract
    from humanizer.export.onnx_export import export_model
    from humanizer.training.train import TrainConfig, train

    folder = tmp_path_factory.mktemp("tiny")
    keras_path = folder / "tiny.keras"
    config = TrainConfig(data=[str(ASAP)], output=str(keras_path), name="tiny", units=8,
                         layers=1, epochs=2, limit=4, crop_seconds=4.0,
                         validation_crop_seconds=8.0, minutes=1.0)
    sidecar = train(config)
    contract = Contract(**{k: v for k, v in sidecar.items() if k != "training"})
    onnx_path = folder / "tiny.onnx"
    export_model(keras_path, onnx_path, contract)
    return onnx_path


EARLY_MS = 30.0  # the timing head of `early_model` moves every note this much earlier


@pytest.fixture(scope="session")
def early_model(tmp_path_factory) -> Path:
    """A style with a timing head whose offsets are known: its offsets layer is set to a
    constant -EARLY_MS, so the tests can hear exactly where notes must land. Exported
    through the real exporter, in a user model folder as `early.onnx`."""
    pytest.importorskip("tensorflow")
    import numpy as np

    from humanizer import encoding
    from humanizer.contract import TIMING_OUTPUT, Contract
    from humanizer.export.onnx_export import export_model
    from humanizer.training.model import build_model

    model = build_model(units=8, layers=1, timing=True)
    offsets = model.get_layer("offsets")
    kernel, bias = offsets.get_weights()
    offsets.set_weights([np.zeros_like(kernel),
                         np.full_like(bias, -EARLY_MS / 1000 / encoding.OFFSET_SCALE)])
    folder = tmp_path_factory.mktemp("models")
    contract = Contract(name="early", instrument="drums", input="score",
                        outputs=["velocity_deviation", TIMING_OUTPUT],
                        description=f"test style: every note {EARLY_MS:g} ms early")
    path = folder / "early.onnx"
    export_model(model, path, contract)
    return path
