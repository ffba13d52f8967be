"""A style keeps the mix: the generated arrangements' parts stay at their levels and off the
limits; `ship` steps the gain down until they do."""

import json

import pytest

from humanizer import models
from humanizer.contract import METADATA_KEY
from humanizer.training.mixcheck import mix_problems


def with_gain(source, target, gain):
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(source))
    props = {p.key: p.value for p in model.metadata_props}
    props[METADATA_KEY] = json.dumps({**json.loads(props[METADATA_KEY]), "gain": gain})
    del model.metadata_props[:]
    for key, value in props.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(target))
    return target


@pytest.mark.parametrize("name, drums", [("piano", False), ("drums", True)])
def test_the_shipped_styles_keep_the_mix(name, drums):
    assert mix_problems(models.find(name), drums) == []


def test_drums_three_times_as_wide_leave_their_level_and_reach_the_limits(tmp_path):
    problems = mix_problems(with_gain(models.find("drums"), tmp_path / "wide.onnx", 3.0), True)
    assert any(p.startswith("soft-drums.mid drums drawn at 40 comes out at a mean of")
               for p in problems)
    assert any(p.startswith("loud.mid drums drawn at 120 has") and p.endswith("at 1 or 127")
               for p in problems)


def test_ship_steps_the_gain_down_to_the_largest_that_keeps_the_mix(tiny_note_model,
                                                                   tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    from humanizer import engine
    from humanizer.training import ship

    def problems_above_1_5(style, drums):
        gain = engine.Engine(style).contract.gain
        return [f"too wide at {gain}"] if gain > 1.5 else []

    monkeypatch.setattr(ship, "mix_problems", problems_above_1_5)
    keras_model = tiny_note_model.with_name("tiny.keras")  # (conftest.tiny_note_model)
    sidecar = json.loads(keras_model.with_name(keras_model.name + ".contract.json").read_text())
    gain, passed_over = ship.mix_safe_gain(keras_model, sidecar, "tiny", 2.0, tmp_path)
    assert gain == 1.5
    assert passed_over == {"2.0": ["too wide at 2.0"], "1.75": ["too wide at 1.75"]}
