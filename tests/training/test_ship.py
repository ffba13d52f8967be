"""`ship` keeps a style's record of how it was trained, whether it ships a Keras model
beside its trainer's sidecar or recalibrates a shipped .onnx from its card."""

import pytest

from humanizer import models


@pytest.mark.parametrize("name", ["piano", "pop", "drums", "lead", "comping", "bass", "pad"])
def test_a_shipped_style_recalibrated_keeps_its_training_record(name):
    pytest.importorskip("tensorflow")
    from humanizer.training import ship

    card = ship.trainer_sidecar(models.find(name))
    record = ship.training_record(card)
    assert record == card["metrics"]["training"]
    assert record["minutes"] > 0 and record["context_seconds"] > 0


def test_a_keras_models_sidecar_holds_its_training_record_beside_the_contract():
    pytest.importorskip("tensorflow")
    from humanizer.training import ship

    sidecar = {"name": "x", "training": {"minutes": 3}, "metrics": {"training": {}}}
    assert ship.training_record(sidecar) == {"minutes": 3}
