"""The ONNX engine: contract checks, level keeping, lookahead windows, chunking."""

import json
import shutil

import numpy as np
import pytest
from conftest import BACH_SCORE

from humanizer import encoding
from humanizer import engine as engine_module
from humanizer.contract import METADATA_KEY
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.notes import Note, read


@pytest.fixture(scope="module")
def tiny(tiny_model):
    return Engine(tiny_model)


def bach(velocity=None):
    notes = encoding.keyboard(read(BACH_SCORE).notes)
    if velocity is None:
        return notes
    return [Note(n.pitch, velocity, n.start, n.end, n.channel) for n in notes]


def rewrite_metadata(source, target, change):
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(source))
    props = {p.key: p.value for p in model.metadata_props}
    change(props)
    del model.metadata_props[:]
    for key, value in props.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(target))
    return target


def test_engine_reads_the_contract(tiny):
    assert tiny.contract.name == "tiny"
    assert tiny.contract.encoding == encoding.ENCODING_NAME
    assert tiny.fps == encoding.DEFAULT_FPS


@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop(METADATA_KEY), "not a humanizer style model"),
    (lambda p: p.update({METADATA_KEY: "{not json"}), "not valid JSON"),
    (lambda p: p.update({METADATA_KEY: json.dumps({**json.loads(p[METADATA_KEY]),
                                                    "encoding_version": 99})}), "encoding"),
    (lambda p: p.update({METADATA_KEY: json.dumps({**json.loads(p[METADATA_KEY]),
                                                    "contract_version": 7})}), "contract"),
    (lambda p: p.update({METADATA_KEY: json.dumps({**json.loads(p[METADATA_KEY]),
                                                    "fps": -1})}), "fps"),
])
def test_engine_refuses_a_contract_it_does_not_implement(tiny_model, tmp_path, change, message):
    path = rewrite_metadata(tiny_model, tmp_path / "bad.onnx", change)
    with pytest.raises(HumanizerError, match=message):
        Engine(path)


def test_engine_refuses_files_that_are_not_models(tmp_path):
    path = tmp_path / "x.onnx"
    path.write_text("hello")
    with pytest.raises(HumanizerError, match="not a usable ONNX model"):
        Engine(path)


@pytest.mark.parametrize("level", [40, 100])
def test_flat_part_keeps_its_level(tiny, level):
    out = np.array(tiny.humanize(bach(level)))
    assert abs(out.mean() - level) < 1.5
    assert out.std() > 0  # and it is shaped


def test_strength_zero_changes_nothing(tiny):
    notes = bach()
    assert tiny.humanize(notes, strength=0.0) == [n.velocity for n in notes]
    assert tiny.humanize(notes, strength=0.0, lookahead=0.5) == [n.velocity for n in notes]


def test_output_is_deterministic(tiny):
    assert tiny.humanize(bach(70)) == tiny.humanize(bach(70))
    assert tiny.humanize(bach(70), lookahead=0.25) == tiny.humanize(bach(70), lookahead=0.25)


def test_notes_off_the_keyboard_pass_through(tiny):
    notes = [Note(10, 33, 0.0, 0.5), Note(60, 80, 0.0, 0.5), Note(120, 99, 0.1, 0.2)]
    out = tiny.humanize(notes)
    assert out[0] == 33 and out[2] == 99


def test_whole_file_result_does_not_depend_on_chunk_boundaries(tiny, monkeypatch):
    notes = bach(70)
    whole = tiny.predict(notes).deviations
    monkeypatch.setattr(engine_module, "CHUNK_SECONDS", 17.0)
    chunked = tiny.predict(notes).deviations
    # chunks overlap by the model's context, so only far-away frames differ, and little
    assert np.abs(whole - chunked).max() < 1.0
    assert np.abs(whole - chunked).mean() < 0.05


def test_lookahead_only_hears_the_future_it_is_given(tiny):
    notes = bach(70)
    cut = 30.0
    later = [n for n in notes if n.start > cut + 0.5]
    changed = [Note(n.pitch + (1 if n.pitch < 108 else -1), n.velocity, n.start, n.end)
               for n in later]
    early = [n for n in notes if n.start <= cut + 0.5]
    a = tiny.predict(early + later, lookahead=0.5)
    b = tiny.predict(early + changed, lookahead=0.5)
    heard_before = np.array([n.start <= cut for n in early])
    assert np.array_equal(a.deviations[: len(early)][heard_before],
                          b.deviations[: len(early)][heard_before])


def test_live_prediction_of_due_notes_matches_offline_emulation(tiny):
    notes = bach(70)[:200]
    offline = tiny.predict(notes, lookahead=0.5)
    due = np.arange(100, 120)
    live = tiny.predict_due(notes, due, lookahead=0.5)
    assert np.allclose(live.deviations, offline.deviations[due])
    assert np.allclose(live.levels, offline.levels[due])


def test_engine_copy_of_model_file_works_anywhere(tiny_model, tmp_path):
    copy = tmp_path / "elsewhere.onnx"
    shutil.copy(tiny_model, copy)
    assert Engine(copy).contract.name == "tiny"
