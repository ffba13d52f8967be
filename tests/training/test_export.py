"""Keras -> ONNX export: parity, contract metadata, dynamic axes, refusals, int8, the CLI.

Tiny models (8 units, one layer) keep the whole file to seconds of conversion.
"""

import json

import numpy as np
import onnxruntime as ort
import pytest

from humanizer import encoding, models
from humanizer.cli import main
from humanizer.contract import INPUT_NAME, METADATA_KEY, OUTPUT_NAME, Contract
from humanizer.engine import Engine
from humanizer.errors import HumanizerError

pytest.importorskip("tensorflow")
import keras  # noqa: E402
import onnx  # noqa: E402

from humanizer.training.keras_model import build_model  # noqa: E402

pytest.importorskip("tf2onnx")
from humanizer.export import parity  # noqa: E402
from humanizer.export.onnx_export import export_model  # noqa: E402

pytestmark = pytest.mark.train

CONTRACT = Contract(name="tiny", description="a test style", instrument="drums",
                    train_mean=70.5, gain=1.2, metrics={"validation": {"mae": 9.5}})


@pytest.fixture(scope="module")
def tiny_keras():
    keras.utils.set_random_seed(1)
    return build_model(units=8, layers=1)


@pytest.fixture(scope="module")
def exported(tiny_keras, tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "tiny.onnx"
    return export_model(tiny_keras, path, CONTRACT)


@pytest.fixture(scope="module")
def saved_keras(tiny_keras, tmp_path_factory):
    """The model as the trainer leaves it: a .keras file and its contract sidecar."""
    path = tmp_path_factory.mktemp("trained") / "tiny.keras"
    tiny_keras.save(path)
    sidecar = {"name": "from-trainer", "train_mean": 66.0, "description": "trainer's",
               "metrics": {"validation": {"mae": 10.1}}, "training": {"units": 8}}
    path.with_name("tiny.keras.contract.json").write_text(json.dumps(sidecar))
    return path


def test_export_matches_keras(exported):
    assert exported.path.is_file()
    assert exported.parity_error < 1e-5
    assert exported.inputs_checked >= 5
    assert exported.lstm_nodes == 1
    assert not {"Loop", "Scan"} & set(exported.op_counts)
    assert exported.size_bytes == exported.path.stat().st_size


def test_contract_round_trip(exported):
    assert Engine(exported.path).contract == CONTRACT
    assert models.describe(str(exported.path)) == CONTRACT
    props = {p.key: p.value for p in onnx.load(exported.path).metadata_props}
    assert Contract.from_json(props[METADATA_KEY]) == CONTRACT


def test_names_and_dynamic_axes(exported, tiny_keras):
    graph = onnx.load(exported.path).graph
    for value, width in ((graph.input[0], encoding.INPUTS), (graph.output[0], encoding.KEYS)):
        dims = value.type.tensor_type.shape.dim
        assert [d.dim_param for d in dims[:2]] == ["batch", "time"]
        assert dims[2].dim_value == width
    session = ort.InferenceSession(str(exported.path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [INPUT_NAME]
    assert [o.name for o in session.get_outputs()] == [OUTPUT_NAME]
    rng = np.random.default_rng(3)
    for batch, time in ((1, 2), (5, 11), (2, 513)):
        frames = (rng.random((batch, time, encoding.INPUTS)) < 0.05).astype(np.float32)
        output = session.run([OUTPUT_NAME], {INPUT_NAME: frames})[0]
        assert output.shape == (batch, time, encoding.KEYS)
        reference = np.asarray(tiny_keras(frames, training=False))
        assert np.max(np.abs(output - reference)) < 1e-4


def test_time_distributed_is_refused(tmp_path):
    frames = keras.Input(shape=(None, encoding.INPUTS))
    hidden = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True),
                                        merge_mode="sum")(frames)
    deviations = keras.layers.TimeDistributed(keras.layers.Dense(encoding.KEYS))(hidden)
    model = keras.Model(frames, deviations)
    with pytest.raises(HumanizerError, match="Loop"):
        export_model(model, tmp_path / "wrong.onnx", CONTRACT)
    assert list(tmp_path.iterdir()) == []


def test_parity_failure_writes_nothing(tiny_keras, tmp_path, monkeypatch):
    """A failed export neither writes a file nor touches an existing one."""
    target = tmp_path / "style.onnx"
    target.write_bytes(b"the previous style")
    real = parity.keras_outputs
    monkeypatch.setattr(parity, "keras_outputs",
                        lambda model, inputs, contract: [out + 1e-3 for out in
                                                          real(model, inputs, contract)])
    with pytest.raises(HumanizerError, match="does not match"):
        export_model(tiny_keras, target, CONTRACT)
    assert target.read_bytes() == b"the previous style"
    assert [p.name for p in tmp_path.iterdir()] == ["style.onnx"]


def test_quantized_export(tiny_keras, tmp_path):
    report = export_model(tiny_keras, tmp_path / "int8.onnx", CONTRACT, quantize=True)
    quant = report.quantization
    assert report.parity_error < 1e-5  # the float graph is still checked first
    assert 0 < quant.error_units < 0.05
    assert quant.error_velocity == pytest.approx(quant.error_units * CONTRACT.deviation_scale)
    assert quant.size_after < quant.size_before
    assert quant.ms_before > 0 and quant.ms_after > 0
    assert report.op_counts["DynamicQuantizeLSTM"] == 1 and report.lstm_nodes == 1
    assert Engine(report.path).contract == CONTRACT
    assert [p.name for p in tmp_path.iterdir()] == ["int8.onnx"]


def test_cli_export_with_sidecar_and_install(saved_keras, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUMANIZER_MODELS", str(tmp_path / "user"))
    output = tmp_path / "mine.onnx"
    status = main(["export", str(saved_keras), "-o", str(output), "--name", "mine",
                   "--lookahead", "0.25", "--install"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "parity with Keras" in printed and "1 LSTM" in printed
    contract = models.describe("mine")  # the installed copy, found by name
    assert models.find("mine") == tmp_path / "user" / "mine.onnx"
    assert contract == Engine(output).contract
    assert contract.name == "mine"  # the flag overrides the sidecar
    assert contract.lookahead_seconds == 0.25
    assert contract.train_mean == 66.0 and contract.description == "trainer's"
    assert contract.metrics == {"validation": {"mae": 10.1}}


def test_cli_default_output_and_name(saved_keras, capsys):
    assert main(["export", str(saved_keras), "--quantize"]) == 0
    output = saved_keras.with_suffix(".onnx")
    assert models.describe(str(output)).name == "from-trainer"
    assert "int8: max difference" in capsys.readouterr().out
    output.unlink()


@pytest.mark.parametrize("problem", ["missing", "text", "bad name"])
def test_cli_refuses_bad_input(problem, saved_keras, tmp_path, capsys):
    model, extra = tmp_path / "x.keras", []
    if problem == "text":
        model.write_text("not a model\n")
    elif problem == "bad name":
        model, extra = saved_keras, ["--name", "my/style"]
    output = tmp_path / "out.onnx"
    assert main(["export", str(model), "-o", str(output), *extra]) == 2
    errors = capsys.readouterr().err
    assert errors.startswith("humanizer: ") and errors.count("\n") == 1
    assert not output.exists()
