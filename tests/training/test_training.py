"""Training crops and the `humanizer train` command on tiny data (calibration: test_calibrate)."""

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
from helpers import ASAP, GROOVE, train_tiny_drums

from humanizer import levels
from humanizer.cli import main
from humanizer.datasets.catalog import performances
from humanizer.datasets.performance import Performance, load_pair, load_performance
from humanizer.training.loop import learning_rate_at
from humanizer.training.train import TrainConfig, crop, random_crops


def test_crop_targets_only_onset_cells():
    performance = load_performance(performances(ASAP, "train")[0])
    x, y, offsets = crop(performance, 10.0, 500, fps=50)
    onsets = x[:, :88] > 0
    assert np.array_equal(~np.isnan(y), onsets)
    assert np.nanstd(y) > 0
    assert np.isnan(offsets).all()  # a performance has no offset targets: no score


def test_score_crops_carry_onset_offsets_on_the_same_cells():
    from humanizer.notefeatures import OFFSET_SCALE

    path = performances(GROOVE, "train")[0]
    pair = load_pair(path)
    x, y, offsets = crop(pair, 0.0, 500, fps=50)
    assert np.array_equal(~np.isnan(offsets), ~np.isnan(y))
    cells = ~np.isnan(offsets)
    first = pair.starts < 10.0
    assert np.nanmax(np.abs(offsets)) * OFFSET_SCALE <= np.abs(pair.offsets[first]).max() + 1e-6
    assert cells.sum() > 10 and np.nanstd(offsets) > 0


def test_augmentation_transposes_and_stretches_within_the_keyboard():
    loaded = [load_performance(p) for p in performances(ASAP, "train")[:3]]
    config = TrainConfig(data=[], output="", crop_seconds=5.0)
    x, y, offsets = random_crops(loaded, config, np.random.default_rng(1))
    assert x.shape == (3, 250, 176) and y.shape == (3, 250, 88)
    assert all((~np.isnan(y[i])).sum() > 0 for i in range(3))


@pytest.mark.train
def test_train_command_on_a_folder_of_performances(tmp_path, capsys, monkeypatch):
    """Through the strategy (the CPU's, one replica, on a machine without a GPU) and the
    tf.data pipeline, to a model the export turns into a style that plays."""
    tf = pytest.importorskip("tensorflow")
    pytest.importorskip("tf2onnx")
    from humanizer.engine import Engine
    from humanizer.notes import Note
    from humanizer.training import pipeline

    fed = []  # (crops, batch per replica, replicas) of each epoch given to tf.data
    training_data = pipeline.training_data

    def recorded(inputs, targets, per_replica, replicas, seed):
        fed.append((len(inputs), per_replica, replicas))
        return training_data(inputs, targets, per_replica, replicas, seed)

    monkeypatch.setattr(pipeline, "training_data", recorded)
    folder = tmp_path / "mine"
    folder.mkdir()
    for path in performances(ASAP, "train")[:6]:
        shutil.copy(path, folder / path.name)
    (folder / "damaged.mid").write_bytes(b"MThd")  # skipped with a message, not fatal
    output = tmp_path / "mine.keras"
    code = main(["train", str(folder), "-o", str(output), "--name", "mine", "--epochs", "2",
                 "--encoding", "frames", "--units", "8", "--layers", "1", "--crop", "4"])
    assert code == 0
    assert output.is_file()
    sidecar = json.loads((tmp_path / "mine.keras.contract.json").read_text())
    assert sidecar["name"] == "mine" and 1 <= sidecar["metrics"]["epochs"] <= 2
    printed = capsys.readouterr()
    assert "saved" in printed.out and "damaged.mid" in printed.err
    if not tf.config.list_physical_devices("GPU"):
        assert "training on 1 replica (CPU), batch 32\n" in printed.out
        assert sidecar["training"]["replicas"] == 1 and sidecar["training"]["devices"] == "auto"
        assert len(fed) == sidecar["metrics"]["epochs"] and fed[0][1:] == (32, 1)
    assert main(["export", str(output), "-o", str(tmp_path / "mine.onnx")]) == 0
    assert "parity" in capsys.readouterr().out
    notes = [Note(60 + i % 12, 80, i * 0.25, i * 0.25 + 0.2) for i in range(24)]
    played = Engine(tmp_path / "mine.onnx").predict(notes).deviations
    assert len(played) == 24 and np.isfinite(played).all()


def test_train_refuses_a_missing_folder(tmp_path, capsys):
    code = main(["train", str(tmp_path / "nope"), "-o", str(tmp_path / "x.keras"),
                 "--name", "x"])
    assert code == 2 and "no such data folder" in capsys.readouterr().err


def test_train_refuses_a_bad_number_in_one_line(tmp_path, capsys):
    from helpers import run

    code, _, err = run(capsys, "train", ASAP, "-o", tmp_path / "x.keras", "--name", "x",
                       "--epochs", "0")
    assert code == 2 and "--epochs must be between 1" in err and len(err.splitlines()) == 1


def test_ship_and_quality_check_their_arguments_in_one_line(tmp_path, capsys):
    from humanizer.commands import quality

    assert main(["ship", str(tmp_path / "none.keras"), str(ASAP), "--name", "x"]) == 2
    assert "none.keras: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ship", str(tmp_path / "none.keras"), str(ASAP), "--name", "x", "--context", "16"])
    assert "invalid context '16'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["quality", "--lookaheads", "0ms,12"])
    assert "invalid lookahead '12'" in capsys.readouterr().err
    assert quality.lookaheads("0ms,1s,full") == [0.0, 1.0, None]


def test_quality_arrangements_only_replaces_that_section_and_keeps_the_rest(tmp_path,
                                                                           capsys):
    page = tmp_path / "quality.md"
    page.write_text("# Quality\n\n## Feel per role\n\nkept\n\n## Arrangements, per part\n"
                    "\nold rows\n")
    assert main(["quality", "--data", str(tmp_path), "--out", str(page),
                 "--arrangements-only"]) == 0
    text = page.read_text()
    assert "kept" in text and "old rows" not in text
    rows = [line for line in text.splitlines() if line.startswith("| band.mid |")]
    assert len(rows) == 6  # a row per part: keys, bass, comping, pad, lead, kit
    assert "| Bass (bass, bass) | 128 | 80 |" in text


@pytest.mark.train
def test_train_a_timing_head_on_grid_snapped_drums(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    output = tmp_path / "groove.keras"
    code = main(["train", str(GROOVE), "-o", str(output), "--name", "groove", "--instrument",
                 "drums", "--encoding", "frames", "--input", "score", "--timing", "--limit", "4",
                 "--epochs", "1", "--units", "8", "--layers", "1", "--crop", "4",
                 "--live-share", "0.5"])
    assert code == 0
    sidecar = json.loads((tmp_path / "groove.keras.contract.json").read_text())
    assert sidecar["training"]["live_share"] == 0.5
    assert sidecar["metrics"]["validation"]["live"]["timing_zero_ms"] > 5
    assert sidecar["outputs"] == ["velocity_deviation", "onset_offset"]
    assert sidecar["input"] == "score"
    validation = sidecar["metrics"]["validation"]
    assert validation["timing_zero_ms"] > 5  # drummers are off the grid by milliseconds
    assert "timing MAE" in capsys.readouterr().out
    code = main(["train", str(GROOVE), "-o", str(tmp_path / "x.keras"), "--name", "x",
                 "--encoding", "frames", "--timing", "--limit", "2"])
    assert code == 2 and "--input score" in capsys.readouterr().err


@pytest.mark.train
def test_a_note_level_drums_style_learns_timing_from_the_grid(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    output = tmp_path / "drums.keras"
    code = train_tiny_drums(output, "drums", "--limit", "3", "--epochs", "1",
                            "--shortest-lookahead", "0", "--decay", "linear", "--dropout", "0.3",
                            "--phrase-share", "0.5", "--phrase-depth", "full")
    assert code == 0 and "saved" in capsys.readouterr().out
    sidecar = json.loads((tmp_path / "drums.keras.contract.json").read_text())
    assert sidecar["encoding"] == "notefeatures" and sidecar["input"] == "score"
    assert sidecar["encoding_version"] == 3  # it hears each note's stroke
    assert sidecar["outputs"] == ["velocity_deviation", "velocity_spread", "onset_offset"]
    assert sidecar["training"]["transpose"] == 0  # drums are never transposed
    assert sidecar["training"]["lookahead_range"] == [0.0, 0.6]
    assert sidecar["training"]["decay"] == "linear" and sidecar["training"]["dropout"] == 0.3
    assert sidecar["training"]["phrase_share"] == 0.5 and sidecar["training"]["phrase_full"]
    assert sidecar["metrics"]["validation"]["learning_rate"] == pytest.approx(2e-3)  # minute 0


@pytest.mark.train
def test_a_style_trained_without_its_meter_hears_none_when_it_plays(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    from humanizer.engine import Engine
    from humanizer.meter import Meter
    from humanizer.notes import Note

    output = tmp_path / "ablated.keras"
    code = train_tiny_drums(output, "ablated", "--limit", "2", "--epochs", "1",
                            "--without", "voicing", "--without", "meter", "--without", "meter")
    assert code == 0 and "validation MAE" in capsys.readouterr().out
    sidecar = json.loads((tmp_path / "ablated.keras.contract.json").read_text())
    assert sidecar["without"] == sidecar["training"]["without"] == ["voicing", "meter"]
    assert main(["export", str(output), "-o", str(tmp_path / "ablated.onnx")]) == 0
    engine = Engine(tmp_path / "ablated.onnx")
    assert engine.contract.without == ["voicing", "meter"]
    notes = [Note(36 + 6 * (i % 3), 80, i * 0.25, i * 0.25 + 0.1) for i in range(32)]
    beats = np.arange(32) * 0.5
    meter = Meter(beats % 1.0, beats % 4, np.full(32, 4.0), np.ones(32))
    # the meter given or not, it hears the same zeros it was trained with
    for lookahead in (None, 0.39):
        assert engine.predict(notes, lookahead, meter=meter).deviations == pytest.approx(
            engine.predict(notes, lookahead).deviations, abs=1e-9)
    with pytest.raises(SystemExit) as leaving:
        main(["train", str(GROOVE), "-o", str(output), "--name", "x", "--without", "rhythm"])
    assert leaving.value.code == 2 and "invalid choice: 'rhythm'" in capsys.readouterr().err
    # the piano roll has no such features
    assert main(["train", str(GROOVE), "-o", str(output), "--name", "x",
                 "--encoding", "frames", "--without", "voicing"]) == 2
    assert "--without needs --encoding notes" in capsys.readouterr().err


def test_a_contract_names_only_feature_groups_a_note_level_style_has():
    from humanizer.contract import Contract
    from humanizer.errors import HumanizerError
    from humanizer.notefeatures import ENCODING_NAME, ENCODING_VERSION

    notes = dict(encoding=ENCODING_NAME, encoding_version=ENCODING_VERSION, contract_version=3,
                 outputs=["velocity_deviation", "velocity_spread"])
    Contract(name="ablated", without=["meter"], **notes).check()
    for bad in (["rhythm"], "meter"):
        with pytest.raises(HumanizerError, match="without must list some of voicing, meter"):
            Contract(name="ablated", without=bad, **notes).check()
    with pytest.raises(HumanizerError, match="note-level styles only"):
        Contract(name="frames", without=["meter"]).check()


def test_a_linear_decay_falls_to_the_budget_and_no_further_than_a_twentieth():
    assert learning_rate_at(2e-3, "none", 30.0, 40.0) == 2e-3
    assert learning_rate_at(2e-3, "linear", 0.0, 40.0) == 2e-3
    assert learning_rate_at(2e-3, "linear", 10.0, 40.0) == pytest.approx(1.5e-3)
    assert learning_rate_at(2e-3, "linear", 30.0, 40.0) == pytest.approx(5e-4)
    assert learning_rate_at(2e-3, "linear", 39.0, 40.0) == pytest.approx(1e-4)  # the floor
    assert learning_rate_at(2e-3, "linear", 90.0, 40.0) == pytest.approx(1e-4)
    assert learning_rate_at(2e-3, "linear", 5.0, 0.0) == 2e-3  # no budget: nothing to fall to


def test_a_note_crop_counts_the_notes_its_lookahead_has_heard_past():
    from humanizer.training.note_train import NoteTrainConfig
    from humanizer.training.note_train import crop as note_crop

    starts = np.arange(8) * 0.25
    performance = Performance("eight", starts, starts + 0.2, np.full(8, 60),
                              np.full(8, 64.0), np.full(8, 0.5))
    config = NoteTrainConfig(data=[], output="")
    # the horizon is the last note: a lookahead of 0 counts it, 0.3 s only those before
    _, at_zero = note_crop(performance, 0, 8, 0.0, 0.0, None, config)
    _, at_300 = note_crop(performance, 0, 8, 0.0, 0.3, None, config)
    assert (~np.isnan(at_zero[:, 0])).tolist() == [True] * 8
    assert (~np.isnan(at_300[:, 0])).tolist() == [True] * 6 + [False] * 2


def test_a_live_crop_counts_only_the_notes_a_live_window_predicts():
    from humanizer.training.note_train import LIVE_BAND, NoteTrainConfig
    from humanizer.training.note_train import crop as note_crop

    starts = np.arange(16) * 0.25  # the horizon is the last note, at 3.75 s
    performance = Performance("sixteen", starts, starts + 0.2, np.full(16, 60),
                              np.full(16, 64.0), np.full(16, 0.5))
    config = NoteTrainConfig(data=[], output="")
    _, live = note_crop(performance, 0, 16, 0.0, 0.3, None, config, live=True)
    counted = np.flatnonzero(~np.isnan(live[:, 0]))
    assert LIVE_BAND == 2.0 and starts[counted].tolist() == (np.arange(6, 14) * 0.25).tolist()


def test_a_live_frame_crop_keeps_the_targets_of_the_band_before_its_lookahead():
    from humanizer.training.loop import has_notes
    from humanizer.training.train import LIVE_BAND, live_only

    frames = 500  # 10 s at 50 fps
    y = np.full((frames, 88), np.nan, dtype=np.float32)
    y[::25, 40] = 0.5  # an onset every half second
    x, live, offsets = live_only((np.zeros((frames, 176)), y, y.copy()), 50.0, 0.5)
    kept = np.flatnonzero(~np.isnan(live[:, 40]))
    end = frames - 25  # 0.5 s before the crop's end
    assert kept.tolist() == list(range(end - int(LIVE_BAND * 50), end + 1, 25))
    assert np.array_equal(np.isnan(offsets), np.isnan(live)) and np.isnan(y).sum() < 500 * 88
    # a band with no onset in it: the epoch is then scored on the whole crop
    assert has_notes(live) and not has_notes(live_only((x, y, y), 50.0, 0.5)[1][:, :40])


def test_a_phrase_crop_draws_in_where_the_passage_is_loud_not_its_accents():
    from humanizer.notefeatures import COLUMN, DEVIATION_SCALE
    from humanizer.training.note_train import NoteTrainConfig
    from humanizer.training.note_train import crop as note_crop

    starts = np.arange(16) * 0.25
    swell = np.linspace(-0.5, 0.5, 16)  # a crescendo, every other note accented on it
    played = swell + np.tile([0.25, -0.25], 8)
    performance = Performance("swell", starts, starts + 0.2, np.full(16, 60),
                              np.full(16, 64.0), played * DEVIATION_SCALE)
    config = NoteTrainConfig(data=[], output="", flat_share=0.0, phrase_share=1.0,
                             stretch=0.0, transpose=0, meter_dropout=0.0)
    x, y = note_crop(performance, 0, 16, 0.0, 0.0, np.random.default_rng(3), config)
    phrase = levels.phrase(starts, played)
    drawn = x[:, COLUMN["accent"]]
    amount = drawn[8] / phrase[8]
    assert 0.05 < amount < 1.0
    np.testing.assert_allclose(drawn, amount * phrase, rtol=1e-5, atol=1e-6)
    assert np.all(np.diff(drawn[2:-2]) > 0)  # the crescendo, with no accent left on it
    np.testing.assert_allclose(y[:, 0], played, rtol=1e-6)  # the aim: all that was played
    full = replace(config, phrase_full=True)
    x, y = note_crop(performance, 0, 16, 0.0, 0.0, np.random.default_rng(3), full)
    np.testing.assert_allclose(x[:, COLUMN["accent"]], phrase, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y[:, 0], played, rtol=1e-6)  # the contour, kept as played


def test_a_crop_without_the_voicing_is_the_crop_with_the_voicing_zeroed():
    from humanizer.notefeatures import COLUMN, GROUPS
    from humanizer.training.note_train import NoteTrainConfig
    from humanizer.training.note_train import crop as note_crop

    starts = np.repeat(np.arange(8) * 0.5, 3)  # triads
    performance = Performance("triads", starts, starts + 0.4, np.tile([48, 52, 55], 8),
                              np.full(24, 64.0), np.zeros(24))
    full, _ = note_crop(performance, 0, 24, 0.0, 0.0, None, NoteTrainConfig(data=[], output=""))
    ablated, _ = note_crop(performance, 0, 24, 0.0, 0.0, None,
                           NoteTrainConfig(data=[], output="", without=("voicing",)))
    voicing = [COLUMN[name] for name in GROUPS["voicing"]]
    assert full[:, voicing].any() and not ablated[:, voicing].any()
    full[:, voicing] = 0.0
    np.testing.assert_array_equal(ablated, full)
