"""A style keeps the mix: the generated arrangements' and bands' parts stay at their levels
and off the limits, and a swell drawn on a piano part keeps its depth and shape; `ship`
steps the gain down until they do."""

import json

import pytest
from helpers import rewrite_metadata

from humanizer import models
from humanizer.contract import METADATA_KEY
from humanizer.training.mixcheck import generated_parts, held_to, mix_problems


def with_gain(source, target, gain, field="gain"):
    return rewrite_metadata(source, target, lambda props: props.update(
        {METADATA_KEY: json.dumps({**json.loads(props[METADATA_KEY]), field: gain})}))


def test_each_style_is_held_to_the_flat_parts_of_its_role_in_the_arrangements_and_bands(
        tmp_path):
    parts = generated_parts(tmp_path)

    def held(style, drums=False):
        return sorted((p.path.name, p.name, p.channel, p.level)
                      for p in parts if held_to(style, drums, p.role))

    assert held("comping") == [("band-loud.mid", "guitar", 2, 127),
                               ("band-quiet.mid", "guitar", 2, 20), ("band.mid", "guitar", 2, 80)]
    assert held("lead") == [
        ("balanced.mid", "melody", 0, 100), ("band-loud.mid", "sax", 4, 127),
        ("band-quiet.mid", "sax", 4, 40), ("band.mid", "sax", 4, 94),
        ("kit-on-1.mid", "sax", 4, 94), ("loud.mid", "melody", 0, 127),
        ("quiet.mid", "melody", 0, 41), ("soft-drums.mid", "melody", 0, 70)]
    assert ("kit-on-1.mid", "kit", 0, 90) in held("drums", drums=True)
    assert ("band.mid", "kit", 9, 100) in held("drums", drums=True)
    keys = held("pop")
    assert len(keys) == 10 + 15 + 2 and not any(name in ("kit", "drums") for _, name, _, _ in keys)
    assert not any(p.path.name == "band-drawn.mid" for p in parts)  # no level to keep


def test_comping_far_too_wide_puts_the_quiet_strummed_guitar_on_the_limits(tmp_path):
    """The comping style is checked on the bands' strummed guitar, not on the pads and
    bass lines of other roles (which held its takes to 0.65 of the validation's scale;
    the guitar keeps its level up to gain 4)."""
    wide = with_gain(models.find("comping"), tmp_path / "wide.onnx", 8.0)
    problems = mix_problems(wide, False, latencies=(None,))
    assert any(p.startswith("band-quiet.mid guitar drawn at 20 has") for p in problems)
    assert all(p.startswith(("band", "a swell drawn on the piano part")) for p in problems)


@pytest.mark.parametrize("name, drums", [("piano", False), ("pop", False), ("drums", True),
                                         ("lead", False), ("comping", False),
                                         ("bass", False), ("pad", False)])
def test_the_shipped_styles_keep_the_mix_in_every_take(name, drums):
    # whole files and through the lookahead windows (0 and 500 ms): centred on a window's
    # own deviations the piano played these pads at 30 as 34-38 and a melody at 41 as 34
    assert mix_problems(models.find(name), drums) == []
    assert mix_problems(models.find(name), drums, variation=1.0, seeds=(0, 1),
                        latencies=(None,)) == []


def test_drums_three_times_as_wide_leave_their_level_and_reach_the_limits(tmp_path):
    problems = mix_problems(with_gain(models.find("drums"), tmp_path / "wide.onnx", 3.0), True)
    assert any(p.startswith("balanced.mid drums at --latency 0ms drawn at 100 comes out at a "
                            "mean of") for p in problems)
    assert any(p.startswith("balanced.mid drums drawn at 100 has") and p.endswith("at 1 or 127")
               for p in problems)


def test_a_piano_that_deepens_a_drawn_swell_does_not_keep_the_mix(tmp_path, monkeypatch):
    """The shipped piano plays the swell 1.0-1.4 times as deep (the piano two versions
    before: 1.49-1.60); one that deepens it further, or loses its shape, does not keep the
    mix. Three times as wide it is shallower, not deeper: the output's headroom holds its
    deviations back (issue 34), so a depth is not a gain's (measured: 1.34, 1.40, 1.33,
    1.23, 1.15 at gains 1.5-2.5)."""
    from humanizer.training import mixcheck

    shipped = models.find("piano")
    depth, shape = mixcheck.swell(shipped, None)
    assert 1.0 < depth <= 1.4 and shape >= 0.85
    assert mixcheck.swell_problems(shipped) == []
    assert mixcheck.swell(with_gain(shipped, tmp_path / "wide.onnx", 3.0), None)[0] < depth
    monkeypatch.setattr(mixcheck, "swell", lambda style, latency: (1.6, 0.95))
    assert mixcheck.swell_problems(shipped, latencies=(None,)) == [
        "a swell drawn on the piano part comes out 1.60 times as deep"]
    monkeypatch.setattr(mixcheck, "swell", lambda style, latency: (1.2, 0.5))
    assert mixcheck.swell_problems(shipped, latencies=(0.5,)) == [
        "a swell drawn on the piano part at --latency 500ms loses its shape (r 0.50)"]


def test_the_takes_at_variation_are_not_held_to_the_swell(monkeypatch):
    """The swell is checked at variation 0 only: a take's noise is not the style's depth."""
    from humanizer.training import mixcheck

    def refuse(*args):
        raise AssertionError("the swell was checked")

    monkeypatch.setattr(mixcheck, "swell_problems", refuse)
    assert mixcheck.mix_problems(models.find("pop"), False, variation=1.0,
                                 latencies=(None,)) == []
    with pytest.raises(AssertionError, match="the swell was checked"):
        mixcheck.mix_problems(models.find("pop"), False, latencies=(None,))


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


def test_ship_bisects_the_variation_scale_to_the_largest_whose_takes_keep_the_mix(monkeypatch):
    from humanizer.training import ship

    tried = []

    def problems_beyond_1_2(style, drums, variation, seeds, latencies):
        assert seeds == (0, 1) and drums and latencies == (None,)
        tried.append(round(variation * 2.5, 2))  # the scale a take at variation 1 plays at
        return ["too wide"] if variation * 2.5 > 1.2 + 1e-9 else []

    monkeypatch.setattr(ship, "mix_problems", problems_beyond_1_2)
    assert ship.mix_safe_scale("style.onnx", 2.5, True) == (1.2, ["too wide"])
    assert tried[0] == 2.5 and len(tried) <= 7  # the chosen scale, then a bisection
    monkeypatch.setattr(ship, "mix_problems", lambda style, drums, variation, seeds, latencies: [])
    assert ship.mix_safe_scale("style.onnx", 1.1, True) == (1.1, [])  # kept as it was
