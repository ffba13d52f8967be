"""`humanizer train`'s options for a note-level style's experiments: a style made for one
short latency, and weights averaged over the epochs."""

import json

import numpy as np
import pytest
from helpers import train_tiny_drums

from humanizer.cli import main


@pytest.mark.train
def test_a_style_made_for_a_short_latency_hears_and_is_validated_at_it(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    code = train_tiny_drums(tmp_path / "short.keras", "short", "--limit", "2", "--epochs", "1",
                            "--shortest-lookahead", "0.25", "--longest-lookahead", "0.25")
    assert code == 0 and "saved" in capsys.readouterr().out
    sidecar = json.loads((tmp_path / "short.keras.contract.json").read_text())
    assert sidecar["training"]["lookahead_range"] == [0.25, 0.25]
    assert sidecar["training"]["lookahead_seconds"] == 0.25


def test_the_weights_average_starts_at_the_first_epoch_and_keeps_its_share():
    from humanizer.training.loop import average_weights

    first = [np.array([1.0, 2.0]), np.array([[4.0]])]
    averaged = average_weights(None, first, 0.75)
    assert [a.tolist() for a in averaged] == [[1.0, 2.0], [[4.0]]]
    assert averaged[0] is not first[0]  # a copy: training goes on with its own weights
    averaged = average_weights(averaged, [np.array([5.0, 6.0]), np.array([[0.0]])], 0.75)
    assert [a.tolist() for a in averaged] == [[2.0, 3.0], [[3.0]]]


@pytest.mark.train
def test_a_style_trained_with_averaged_weights_keeps_the_average(tmp_path, capsys,
                                                                 monkeypatch):
    pytest.importorskip("tensorflow")
    import keras

    from humanizer.training import loop

    epochs, average_weights = [], loop.average_weights  # (own weights, the average)

    def recorded(averaged, weights, keep):
        result = average_weights(averaged, weights, keep)
        epochs.append(([w.copy() for w in weights], [a.copy() for a in result]))
        return result

    monkeypatch.setattr(loop, "average_weights", recorded)
    output = tmp_path / "averaged.keras"
    code = train_tiny_drums(output, "averaged", "--limit", "2", "--epochs", "2",
                            "--patience", "5", "--average", "0.5")
    assert code == 0 and "saved" in capsys.readouterr().out
    sidecar = json.loads((tmp_path / "averaged.keras.contract.json").read_text())
    assert sidecar["training"]["average"] == 0.5
    saved = keras.models.load_model(output, compile=False).get_weights()
    best = sidecar["metrics"]["validation"]["epoch"] - 1
    assert len(epochs) == 2 and all(np.array_equal(s, a) for s, a in zip(saved, epochs[best][1]))
    own, average = epochs[1]
    assert not all(np.array_equal(w, a) for w, a in zip(own, average))  # 2nd: a true average


def test_train_refuses_averaged_weights_for_the_piano_roll(tmp_path, capsys):
    code = main(["train", str(tmp_path), "-o", str(tmp_path / "x.keras"), "--name", "x",
                 "--encoding", "frames", "--average", "0.5"])
    assert code != 0
    assert capsys.readouterr().err.strip() == "humanizer: --average needs --encoding notes"


def test_train_refuses_a_shortest_lookahead_beyond_the_longest_in_one_line(tmp_path, capsys):
    code = main(["train", str(tmp_path), "-o", str(tmp_path / "x.keras"), "--name", "x",
                 "--encoding", "notes", "--shortest-lookahead", "0.4",
                 "--longest-lookahead", "0.3"])
    err = capsys.readouterr().err
    assert code != 0 and not (tmp_path / "x.keras").exists()
    assert err.strip().splitlines() == [
        "humanizer: --shortest-lookahead 0.4 is longer than --longest-lookahead 0.3"]
