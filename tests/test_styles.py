"""The shipped styles: each carries its model card and the evidence that it helps."""

import numpy as np
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
    # not flattened: the frame styles reach 0.6 at 500 ms; the note-level pop 0.59 (0.73
    # with the whole file: a live window hears 12 s of the past, docs/experiments.md s. 8)
    assert model["spread_ratio"] > (0.55 if contract.note_level else 0.6)


def test_models_show_prints_the_card(capsys):
    from helpers import run

    code, out, _ = run(capsys, "models", "show", "piano")
    assert code == 0
    assert "CC BY-NC-SA" in out and "lookahead 500 ms" in out and "flat" in out


def test_models_lists_every_style(capsys):
    from helpers import run

    code, out, _ = run(capsys, "models")
    assert code == 0 and all(name in out for name in SHIPPED)
    header = out.splitlines()[0].split()
    assert header[:5] == ["style", "plays", "hears", "moves", "licence"]  # columns named


def test_drums_move_as_a_drummer_does():
    """The drums style is trained on the DAW case (the beat on the grid) with a timing
    head: its onset offsets come closer to the drummers' than no offset at all."""
    contract = Engine(models.PACKAGED / "drums.onnx").contract
    assert contract.timing and contract.input == "score"
    timing = contract.metrics["test"]["timing"]
    assert timing["mae_ms"] < timing["zero_mae_ms"] and timing["pearson_median"] > 0.2


def test_models_show_prints_the_timing_of_a_style_with_a_timing_head(capsys):
    from helpers import run

    code, out, _ = run(capsys, "models", "show", "drums")
    assert code == 0 and "onset-offset MAE" in out and "onset_offset" in out


NOTE_LEVEL = sorted(name for name in SHIPPED
                    if Engine(models.PACKAGED / f"{name}.onnx").contract.note_level)


@pytest.mark.parametrize("name", NOTE_LEVEL or [pytest.param("none", marks=pytest.mark.skip(
    reason="no shipped style is score-aware"))])
@pytest.mark.parametrize("lookahead", [None, 0.39])
def test_drawn_accents_stay_the_loudest_of_their_beat(name, lookahead):
    """The issue's case: a part at 70 with two notes drawn at 110 (v1 brought them to 66,
    the quietest of the part)."""
    import numpy as np

    from humanizer.notes import Note
    from humanizer.offline import humanize_part
    from humanizer.output import OutputSettings

    sixteenth = 0.125  # 120 bpm
    pitches = [60, 64, 67, 72] if name != "drums" else [42, 42, 42, 42]
    notes = [Note(pitches[i % 4], 70, i * sixteenth, i * sixteenth + 0.1) for i in range(64)]
    accented = (5, 42)  # an off-beat in bar 1, a late one in bar 3
    for i in accented:
        notes[i] = Note(notes[i].pitch, 110, notes[i].start, notes[i].end)
    velocities, _, _ = humanize_part(models.load(name), notes, OutputSettings(), lookahead)
    for i in accented:
        beat = range(i // 4 * 4, i // 4 * 4 + 4)
        others = [velocities[j] for j in beat if j != i]
        assert velocities[i] > max(others), (i, velocities[list(beat)])
    assert abs(np.mean(np.delete(velocities, accented)) - 70) < 4


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_style_plays_a_repeated_bar_its_own_way_in_each_take(name):
    """Identical bars must not come out identical, and two seeds give two takes: every
    shipped style predicts how much each note varies (its spread head)."""
    from humanizer.notes import Note
    from humanizer.offline import humanize_part
    from humanizer.output import OutputSettings
    from humanizer.variation import Takes

    bar = [36, 42, 38, 42] * 4 if name == "drums" else [48, 60, 64, 67] * 4
    notes = [Note(pitch, 80, i * 0.125, i * 0.125 + 0.1, channel=9 if name == "drums" else 0)
             for i, pitch in enumerate(bar * 8)]
    style = models.load(name)
    assert "velocity_spread" in style.contract.outputs
    takes = [humanize_part(style, notes, OutputSettings(variation=1.0), 0.5,
                           takes=Takes(seed))[0] for seed in (1, 2)]
    assert sum(a != b for a, b in zip(*takes)) > len(notes) / 2
    bars = np.reshape(takes[0], (8, len(bar)))
    assert sum(not np.array_equal(bars[0], other) for other in bars[1:]) == 7
