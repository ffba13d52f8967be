"""A note-level style (contract 3) through the engine: levels kept, windows as live hears
them, batches that change nothing, the meter heard. On a real (tiny) trained model."""

import numpy as np
import pytest

from humanizer.engine import Engine
from humanizer.meter import Meter
from humanizer.models import load
from humanizer.notes import Note


def part(level, count=64, pitch=60, step=0.25, channel=0, start=0.0):
    return [Note(pitch + (i * 5) % 12, level, start + i * step, start + i * step + 0.2, channel)
            for i in range(count)]


def on_the_beat(notes):
    times = np.array([n.start for n in notes]) / 0.5  # quarter = 0.5 s
    return Meter(times % 1.0, times % 4, np.full(len(notes), 4.0), np.ones(len(notes)))


@pytest.fixture(scope="module")
def engine(tiny_note_model):
    return Engine(tiny_note_model)


def test_it_loads_as_contract_3_beside_the_frame_styles(engine):
    assert engine.contract.contract_version == 3 and engine.contract.note_level
    assert engine.contract.outputs == ["velocity_deviation", "velocity_spread"]
    assert not load("piano").contract.note_level or True  # v1/v2 styles still load


@pytest.mark.parametrize("lookahead", [None, 0.39])
def test_each_part_keeps_its_level(engine, lookahead):
    notes = part(30) + part(100, pitch=72, channel=1, start=0.01)
    owners = [n.channel for n in notes]
    prediction = engine.predict(notes, lookahead, owners)
    assert np.isfinite(prediction.deviations).all()
    levels = prediction.levels
    assert levels[:64] == pytest.approx(30) and levels[64:] == pytest.approx(100)
    for mine in (slice(0, 64), slice(64, None)):
        assert abs(prediction.deviations[mine].mean()) < 2.0  # (issue 9: within 2)


def test_a_window_hears_nothing_after_its_horizon(engine):
    notes = part(70, count=40)  # a note every 250 ms
    base = engine.predict(notes, 0.39)
    # notes 20 on (from 5.0 s) moved and louder: note 18 (4.5 s) heard up to 4.89 s and
    # comes out the same; note 19's window (to 5.14 s) heard note 20
    later = notes[:20] + [Note(n.pitch + 7, 120, n.start + 0.1, n.end + 0.1) for n in notes[20:]]
    other = engine.predict(later, 0.39)
    assert other.deviations[:19] == pytest.approx(base.deviations[:19], abs=1e-9)
    assert other.deviations[19] != pytest.approx(base.deviations[19], abs=1e-6)


def test_windows_give_the_same_whatever_they_ran_with(engine):
    a, b = part(60, count=30), part(90, count=50, step=0.13, pitch=50)
    together = engine.predict_parts([(a, np.arange(30), None), (b, np.arange(50), None)], 0.39)
    alone = engine.predict_parts([(b, np.arange(50), None)], 0.39)[0]
    assert together[1].deviations == pytest.approx(alone.deviations, abs=1e-9)


def test_the_meter_is_heard(engine):
    notes = part(70, count=32)
    with_meter = engine.predict(notes, None, meter=on_the_beat(notes))
    without = engine.predict(notes, None)
    assert not np.allclose(with_meter.deviations, without.deviations)
    assert engine.predict(notes, None, meter=Meter.unknown(32)).deviations == pytest.approx(
        without.deviations)
