"""The ONNX engine: contract checks, level keeping, lookahead windows, chunking - on the
shipped piano style, with no TensorFlow (a few contract checks rewrite a model with onnx)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import BACH_SCORE, rewrite_metadata

from humanizer import encoding, frame_engine, models
from humanizer.contract import METADATA_KEY
from humanizer.engine import Engine
from humanizer.errors import HumanizerError
from humanizer.notes import Note, keyboard, read
from humanizer.offline import humanize_part
from humanizer.output import OutputSettings


@pytest.fixture(scope="module")
def piano_model():
    """The frame piano shipped until the score-aware one (contract 1, pianoroll88): kept
    here so a real version 1 style is loaded and run by every test of the frame path."""
    return Path(__file__).parent / "models" / "piano-frames-v1.onnx"


@pytest.fixture(scope="module")
def tiny(piano_model):
    """The frame piano (the name stays from the days of a model trained here)."""
    return Engine(piano_model)


def humanize(engine, notes, strength=1.0, lookahead=None) -> list[int]:
    return humanize_part(engine, notes, OutputSettings(strength=strength), lookahead)[0].tolist()


def bach(velocity=None):
    notes = keyboard(read(BACH_SCORE).notes)
    if velocity is None:
        return notes
    return [Note(n.pitch, velocity, n.start, n.end, n.channel) for n in notes]


def test_engine_reads_the_contract(tiny):
    assert tiny.contract.name == "piano"
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
def test_engine_refuses_a_contract_it_does_not_implement(piano_model, tmp_path, change, message):
    path = rewrite_metadata(piano_model, tmp_path / "bad.onnx", change)
    with pytest.raises(HumanizerError, match=message):
        Engine(path)


def test_engine_refuses_files_that_are_not_models(tmp_path):
    path = tmp_path / "x.onnx"
    path.write_text("hello")
    with pytest.raises(HumanizerError, match="not a usable ONNX model"):
        Engine(path)


@pytest.mark.parametrize("level", [40, 100])
def test_flat_part_keeps_its_level(tiny, level):
    out = np.array(humanize(tiny, bach(level)))
    assert abs(out.mean() - level) < 1.5
    assert out.std() > 0  # and it is shaped


def test_strength_zero_changes_nothing(tiny):
    notes = bach()
    assert humanize(tiny, notes, strength=0.0) == [n.velocity for n in notes]
    assert humanize(tiny, notes, strength=0.0, lookahead=0.5) == [n.velocity for n in notes]


def test_output_is_deterministic(tiny):
    assert humanize(tiny, bach(70)) == humanize(tiny, bach(70))
    assert humanize(tiny, bach(70), lookahead=0.25) == humanize(tiny, bach(70), lookahead=0.25)


def test_notes_off_the_keyboard_pass_through(tiny):
    notes = [Note(10, 33, 0.0, 0.5), Note(60, 80, 0.0, 0.5), Note(120, 99, 0.1, 0.2)]
    out = humanize(tiny, notes)
    assert out[0] == 33 and out[2] == 99


def test_whole_file_result_does_not_depend_on_chunk_boundaries(tiny, monkeypatch):
    notes = bach(70)
    whole = tiny.predict(notes).deviations
    monkeypatch.setattr(frame_engine, "CHUNK_SECONDS", 17.0)
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


def test_engine_copy_of_model_file_works_anywhere(piano_model, tmp_path):
    copy = tmp_path / "elsewhere.onnx"
    shutil.copy(piano_model, copy)
    assert Engine(copy).contract.name == "piano"


def test_a_lookahead_prediction_depends_on_where_notes_are_not_on_the_clock(tiny):
    """Live, note times count from whenever the daemon started; offline, from the file's
    start. Each window starts at its own note, so the two give the same predictions."""
    notes = bach(70)[:300]
    moved = [Note(n.pitch, n.velocity, n.start + 0.0137, n.end + 0.0137) for n in notes]
    here, there = tiny.predict(notes, 0.45), tiny.predict(moved, 0.45)
    assert np.abs(here.deviations - there.deviations).max() < 1e-3  # float32 rounding
    assert np.abs(here.levels - there.levels).max() < 1e-6


def test_a_window_knows_no_note_off_after_its_horizon(tiny):
    """What the daemon has heard when it predicts: a note-off that comes after the horizon
    is not known yet, so its note counts as sounding to the window's end."""
    notes = bach(70)[:120]
    first = notes[0]
    cut = [Note(first.pitch, first.velocity, first.start, first.start + 0.9), *notes[1:]]
    held = [Note(first.pitch, first.velocity, first.start, first.start + 30.0), *notes[1:]]
    assert np.array_equal(tiny.predict_due(cut, np.array([0]), 0.45).deviations,
                          tiny.predict_due(held, np.array([0]), 0.45).deviations)


def test_drums_hear_percussion_as_its_nearest_piece_and_leave_effects_as_they_came():
    drums = models.load("drums")
    beat = [Note(pitch, 90, 0.25 * i, 0.25 * i + 0.1, channel=9)
            for i, pitch in enumerate([36, 42, 38, 42, 35, 63, 56, 71] * 4)]
    out = humanize(drums, beat)
    assert [v for v, n in zip(out, beat) if n.pitch == 71] == [90] * 4  # a whistle: as drawn
    percussion = [v for v, n in zip(out, beat) if n.pitch in (63, 56)]  # conga, cowbell
    assert len(set(percussion)) > 1
    assert drums.hears(beat[4]).pitch == 36  # an acoustic kick is the kit's kick
    assert drums.hears(beat[5]).pitch == 37 and drums.hears(beat[6]).pitch == 53


def test_a_version_2_note_style_plays_and_one_that_claims_the_strokes_it_lacks_is_refused(
        tmp_path):
    from humanizer import notefeatures

    pytest.importorskip("tensorflow")
    from humanizer.contract import Contract
    from humanizer.export.onnx_export import export_model
    from humanizer.training.keras_model import build_note_model

    # a style of encoding v2 (no stroke inputs), as the pop shipped before this one, through
    # the real exporter: installed styles of that version still play
    v2 = tmp_path / "v2.onnx"
    export_model(build_note_model(notefeatures.V2_INPUTS, units=8, layers=1), v2,
                 Contract(name="v2", encoding=notefeatures.ENCODING_NAME, encoding_version=2,
                          outputs=list(notefeatures.OUTPUTS[:2])))
    shipped = Engine(v2)
    assert shipped.contract.encoding_version == 2
    assert shipped.session.get_inputs()[0].shape[-1] == notefeatures.V2_INPUTS
    assert len(humanize(shipped, bach(70), lookahead=0.5)) == len(bach())
    claims_v3 = rewrite_metadata(v2, tmp_path / "v3.onnx", lambda p: p.update(
        {METADATA_KEY: json.dumps({**json.loads(p[METADATA_KEY]), "encoding_version": 3})}))
    with pytest.raises(HumanizerError, match=rf"input must be \(batch, notes, "
                                             rf"{notefeatures.INPUTS}\)"):
        Engine(claims_v3)


def test_piece_offsets_move_a_kit_piece_against_the_kit_and_bad_ones_are_refused(tmp_path):
    """contract.piece_offsets (the drums' piece balance, measured by ship) moves each piece's
    deviations before the gain: +10 on the toms brings them up against the rest."""
    beat = [Note(pitch, 90, 0.25 * i, 0.25 * i + 0.1, channel=9)
            for i, pitch in enumerate([36, 42, 38, 42, 45, 42, 38, 47] * 4)]

    def with_offsets(offsets, name):
        return rewrite_metadata(models.find("drums"), tmp_path / name, lambda p: p.update(
            {METADATA_KEY: json.dumps({**json.loads(p[METADATA_KEY]),
                                       "piece_offsets": offsets})}))

    toms = [i for i, n in enumerate(beat) if n.pitch in (45, 47)]
    plain = np.array(humanize(Engine(with_offsets({}, "plain.onnx")), beat), dtype=float)
    louder = np.array(humanize(Engine(with_offsets({"mid tom": 10.0}, "toms.onnx")), beat),
                      dtype=float)
    lift = (louder[toms] - louder.mean()) - (plain[toms] - plain.mean())
    assert lift.min() >= 2 and lift.mean() >= 3  # (the part's centre and headroom take some)
    with pytest.raises(HumanizerError, match="piece_offsets must map kit pieces"):
        Engine(with_offsets({"cowbell": 3.0}, "bad.onnx"))
