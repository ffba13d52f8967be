"""Helpers the tests share: where the data sets are, running the command in-process, and
real styles built for a test (a tiny drums style trained for seconds, a style whose timing
head's offsets are known). Tests import them from here; conftest.py holds the fixtures."""

import os
from pathlib import Path

import pytest

# The tests that read real data find it in ../shared/data beside the clone, or in the
# folder HUMANIZER_DATA names; the others run without it.
DATA = Path(os.environ.get("HUMANIZER_DATA")
            or Path(__file__).resolve().parents[2] / "shared" / "data")
ASAP = DATA / "asap"
GROOVE = DATA / "groove"
BACH_SCORE = ASAP / "Bach" / "Fugue" / "bwv_848" / "midi_score.mid"
MISSING_DATA = None if ASAP.is_dir() and GROOVE.is_dir() else (
    f"reads the training data, and {DATA} has no asap/ and groove/: clone the repository "
    "beside shared/ (so ../shared/data exists) or set HUMANIZER_DATA to the data folder")


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


EARLY_MS = 30.0  # the kick of `early_model` is predicted this much ahead of the kit
KICK = 36


def timing_model(folder: Path, name: str, offsets_ms: dict[int, float],
                 description: str) -> Path:
    """A style with a timing head whose raw offsets are known: the offsets layer is set to
    a constant per key (`offsets_ms`, 0 for the others), so the tests know exactly where
    notes must land. Exported through the real exporter, in a user model folder."""
    pytest.importorskip("tensorflow")
    import numpy as np

    from humanizer.contract import TIMING_OUTPUT, Contract
    from humanizer.export.onnx_export import export_model
    from humanizer.notefeatures import OFFSET_SCALE
    from humanizer.notes import LOWEST_KEY
    from humanizer.training.keras_model import build_model

    model = build_model(units=8, layers=1, timing=True)
    offsets = model.get_layer("offsets")
    kernel, bias = offsets.get_weights()
    bias = np.zeros_like(bias)
    for pitch, ms in offsets_ms.items():
        bias[pitch - LOWEST_KEY] = ms / 1000 / OFFSET_SCALE
    offsets.set_weights([np.zeros_like(kernel), bias])
    contract = Contract(name=name, instrument="drums", input="score",
                        outputs=["velocity_deviation", TIMING_OUTPUT], description=description)
    path = folder / f"{name}.onnx"
    export_model(model, path, contract)
    return path


def serving(server):
    """Run a control server's `serve` in a thread, answering every request with
    {"ok": true}, until the function returned is called (which closes the server)."""
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=lambda: [server.serve(lambda r: {"ok": True}, 0.05)
                                              for _ in iter(stop.is_set, True)])
    thread.start()

    def done():
        stop.set()
        thread.join()
        server.close()
    return done
