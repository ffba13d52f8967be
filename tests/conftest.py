"""Shared fixtures: real data, and real (tiny) models trained and exported for the tests.
A test that reads the data sets is skipped, saying why, where they are missing."""

import inspect
import re
from pathlib import Path

import pytest
from helpers import ASAP, DATA, EARLY_MS, KICK, MISSING_DATA, timing_model

# what a test uses that reads the data sets: these fixtures, or these names of helpers
DATA_FIXTURES = {"tiny_model", "tiny_note_model"}
DATA_NAMES = {"ASAP", "GROOVE", "BACH_SCORE", "DATA", "train_tiny_drums"}


def _source(function: object) -> str:
    try:
        return inspect.getsource(inspect.unwrap(getattr(function, "_get_wrapped_function",
                                                        lambda: function)()))
    except (TypeError, OSError):
        return ""


def data_words(module: object) -> set[str]:
    """The names in a test module that lead to the data sets: the helpers' own, the
    module's paths into them, and its functions and fixtures that use either."""
    words = set(DATA_NAMES) | {name for name, value in vars(module).items()
                               if isinstance(value, Path) and value.is_relative_to(DATA)}
    functions = {name: _source(value) for name, value in vars(module).items()
                 if callable(value) and getattr(value, "__module__", None) == module.__name__}
    grown = True
    while grown:  # a function that calls one that reads the data reads it too
        found = {name for name, text in functions.items()
                 if name not in words and any(re.search(rf"\b{w}\b", text) for w in words)}
        words |= found
        grown = bool(found)
    return words


def reads_data(item: pytest.Item) -> bool:
    """Does this test read the data sets (through a fixture, a name or a helper)?"""
    if set(getattr(item, "fixturenames", ())) & DATA_FIXTURES:
        return True
    module = getattr(item, "module", None)
    if module is None:
        return False
    words = data_words(module)
    text = _source(item.function) + "".join(
        _source(getattr(module, name)) for name in item.fixturenames
        if callable(getattr(module, name, None)))
    return any(re.search(rf"\b{word}\b", text) for word in words)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the data sets, the tests that read them are skipped with the reason; the
    unit tests still run."""
    if MISSING_DATA is None:
        return
    for item in items:
        if reads_data(item):
            item.add_marker(pytest.mark.skip(reason=MISSING_DATA))


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
