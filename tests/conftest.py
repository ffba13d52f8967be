"""Shared fixtures: real data, and a real (tiny) model trained and exported for the tests."""

import os
from pathlib import Path

import pytest

from humanizer import notefeatures

# The tests read real data: ../shared/data beside the clone, or the folder HUMANIZER_DATA names.
DATA = Path(os.environ.get("HUMANIZER_DATA")
            or Path(__file__).resolve().parents[2] / "shared" / "data")
ASAP = DATA / "asap"
GROOVE = DATA / "groove"
BACH_SCORE = ASAP / "Bach" / "Fugue" / "bwv_848" / "midi_score.mid"


def pytest_configure(config: pytest.Config) -> None:
    """Stop before collecting when the data is missing: one clear line, not a traceback
    from the first test module that reads a file at import."""
    if not (ASAP.is_dir() and GROOVE.is_dir()):
        raise pytest.UsageError(
            f"the tests read the training data, and {DATA} has no asap/ and groove/: clone "
            "the repository beside shared/ (so ../shared/data exists) or set HUMANIZER_DATA "
            "to the data folder")


def run(capsys, *args) -> tuple[int, str, str]:
    """`humanizer ARGS...` in this process: (exit status, stdout, stderr)."""
    from humanizer.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def rewrite_metadata(source, target, change):
    """A copy of the ONNX style `source` at `target` with its metadata properties (a dict)
    passed through `change`, which edits them in place."""
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(source))
    props = {p.key: p.value for p in model.metadata_props}
    change(props)
    del model.metadata_props[:]
    for key, value in props.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(target))
    return target


def train_tiny_drums(output: Path, name: str, *options: str) -> int:
    """`humanizer train` of a tiny note-level drums style on the Groove MIDI Dataset (8
    units, one layer, 48-note crops) with `options` such as --limit and --epochs."""
    from humanizer.cli import main

    return main(["train", str(GROOVE), "-o", str(output), "--name", name, "--instrument",
                 "drums", "--encoding", "notes", "--units", "8", "--layers", "1",
                 "--crop-notes", "48", *options])


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


@pytest.fixture(scope="session")
def tiny_note_model(tmp_path_factory) -> Path:
    """A small note-level style (humanizer.notefeatures) trained for seconds on a few ASAP
    match files, exported through the real exporter (parity-checked against Keras)."""
    pytest.importorskip("tensorflow")
    from humanizer.export.onnx_export import export_model
    from humanizer.training.note_train import NoteTrainConfig, train_notes
    from humanizer.training.ship import contract_from

    folder = tmp_path_factory.mktemp("tiny-notes")
    keras_path = folder / "tiny.keras"
    sidecar = train_notes(NoteTrainConfig(data=[str(ASAP)], output=str(keras_path),
                                          name="tiny-notes", units=8, layers=1, epochs=2,
                                          limit=6, crops_per_performance=2, crop_notes=64))
    onnx_path = folder / "tiny-notes.onnx"
    export_model(keras_path, onnx_path, contract_from(sidecar))
    return onnx_path


EARLY_MS = 30.0  # the kick of `early_model` is predicted this much ahead of the kit
KICK = 36


def timing_model(folder: Path, name: str, offsets_ms: dict[int, float],
                 description: str) -> Path:
    """A style with a timing head whose raw offsets are known: the offsets layer is set to
    a constant per key (`offsets_ms`, 0 for the others), so the tests know exactly where
    notes must land. Exported through the real exporter, in a user model folder."""
    pytest.importorskip("tensorflow")
    import numpy as np

    from humanizer import encoding
    from humanizer.contract import TIMING_OUTPUT, Contract
    from humanizer.export.onnx_export import export_model
    from humanizer.training.model import build_model

    model = build_model(units=8, layers=1, timing=True)
    offsets = model.get_layer("offsets")
    kernel, bias = offsets.get_weights()
    bias = np.zeros_like(bias)
    for pitch, ms in offsets_ms.items():
        bias[pitch - encoding.LOWEST_KEY] = ms / 1000 / notefeatures.OFFSET_SCALE
    offsets.set_weights([np.zeros_like(kernel), bias])
    contract = Contract(name=name, instrument="drums", input="score",
                        outputs=["velocity_deviation", TIMING_OUTPUT], description=description)
    path = folder / f"{name}.onnx"
    export_model(model, path, contract)
    return path


@pytest.fixture(scope="session")
def early_model(tmp_path_factory) -> Path:
    """`early.onnx`: the kick EARLY_MS ahead of the rest of the kit."""
    return timing_model(tmp_path_factory.mktemp("models"), "early", {KICK: -EARLY_MS},
                        f"test style: the kick {EARLY_MS:g} ms ahead of the kit")


@pytest.fixture(scope="session")
def rushing_model(early_model) -> Path:
    """`rushing.onnx`, beside early.onnx: every piece of the kit EARLY_MS early - a drift
    the pocket must take out."""
    return timing_model(early_model.parent, "rushing",
                        {pitch: -EARLY_MS for pitch in range(21, 109)},
                        f"test style: every note {EARLY_MS:g} ms early")


@pytest.fixture
def daemon(server, request):
    """`humanizer serve` at the module's LATENCY (tests/live: each module gives its JACK
    server as a `server` fixture), stopped afterwards if still running."""
    from humanizer.daemon.harness import Daemon

    started = Daemon("--latency", f"{int(request.module.LATENCY * 1000)}ms")
    yield started
    if started.process.poll() is None:
        started.stop()


@pytest.fixture
def probe(daemon, request):
    """A JACK client playing into `daemon` and hearing what it plays."""
    from humanizer.daemon.harness import Probe

    client = Probe(request.module.__name__.split(".")[-1].replace("_", "-"))
    client.connect()  # returns once JACK lists the connections
    yield client
    client.close()
