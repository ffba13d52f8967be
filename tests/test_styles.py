"""The shipped styles: each carries its model card and the evidence that it helps."""

import pytest

from humanizer import models
from humanizer.engine import Engine

SHIPPED = {"piano": "CC BY-NC-SA", "drums": "CC BY 4.0", "pop": "MIT"}


def test_every_shipped_style_is_packaged():
    packaged = {name for name, style in models.styles().items() if style.packaged}
    assert set(SHIPPED) <= packaged


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_model_card_names_data_licence_and_beats_flat_on_its_test_split(name):
    contract = Engine(models.PACKAGED / f"{name}.onnx").contract
    assert SHIPPED[name] in contract.licence
    assert contract.data and contract.description
    test = contract.metrics["test"]
    assert test["split"] == "test" and test["lookahead_seconds"] == 0.5
    model, flat = test["model"], test["baselines"]["flat"]
    assert model["mae"] < flat["mae"]
    assert model["mae"] < min(b["mae"] for b in test["baselines"].values())
    assert model["pearson_median"] > 0.3
    assert model["spread_ratio"] > 0.6


def test_models_show_prints_the_card(capsys):
    from conftest import run

    code, out, _ = run(capsys, "models", "show", "piano")
    assert code == 0
    assert "CC BY-NC-SA" in out and "lookahead 500 ms" in out and "flat" in out


def test_models_lists_every_style(capsys):
    from conftest import run

    code, out, _ = run(capsys, "models")
    assert code == 0 and all(name in out for name in SHIPPED)


def test_drums_move_as_a_drummer_does():
    """The drums style is trained on the DAW case (the beat on the grid) with a timing
    head: its onset offsets come closer to the drummers' than no offset at all."""
    contract = Engine(models.PACKAGED / "drums.onnx").contract
    assert contract.timing and contract.input == "score"
    timing = contract.metrics["test"]["timing"]
    assert timing["mae_ms"] < timing["zero_mae_ms"] and timing["pearson_median"] > 0.2


def test_models_show_prints_the_timing_of_a_style_with_a_timing_head(capsys):
    from conftest import run

    code, out, _ = run(capsys, "models", "show", "drums")
    assert code == 0 and "onset-offset MAE" in out and "onset_offset" in out
