"""Timing: grid-snapped drum pairs, the timing head through export and engine, and notes
moved in MIDI files (`humanize --timing`) with their lengths kept."""

import importlib.util
import json
import shutil
from collections import Counter

import mido
import numpy as np
import pytest
from helpers import EARLY_MS, GROOVE, KICK, run

from humanizer import levels
from humanizer.datasets.grid import groove_pair, snap
from humanizer.moves import bounded_shift, with_timing
from humanizer.notes import (
    Note,
    midi_from_notes,
    notes_of,
    read,
    write_atomic,
)

DRUM_LOOP = "humanizer/examples/drum-loop.mid"


def test_snap_takes_the_nearer_of_the_16th_and_the_triplet_grid():
    beat = 0.5  # 120 bpm: 16ths every 125 ms, 8th triplets every 166.7 ms
    times = np.array([0.01, 0.13, 0.16, 0.36, 0.49])
    assert snap(times, 120) == pytest.approx([0.0, 0.125, beat / 3, 0.375, 0.5])


def test_groove_pairs_are_the_performance_on_the_grid():
    path = next(p for p in sorted((GROOVE / "drummer1").rglob("*.mid")))
    pair = groove_pair(path)
    performed = read(path).notes
    assert len(pair.score) == len([n for n in performed if n.on_keyboard]) > 10
    assert sorted(pair.velocities) == sorted(n.velocity for n in performed if n.on_keyboard)
    starts = np.array([n.start for n in pair.score])
    assert np.median(np.abs(pair.offsets)) < 0.04  # played to a click
    bpm = 60e6 / next(m.tempo for t in read(path).midi.tracks for m in t
                      if m.type == "set_tempo")
    assert snap(starts, bpm) == pytest.approx(starts)  # every input onset is on the grid
    lengths = [n.end - n.start for n in pair.score]
    assert min(lengths) >= 0


def moved_file(tmp_path, notes, shifts, extra=()):
    midi = midi_from_notes(notes)
    for message in extra:  # at the last note-off's tick, before end_of_track
        midi.tracks[0].insert(len(midi.tracks[0]) - 1, message)
    path = tmp_path / "in.mid"
    write_atomic(midi, path)
    note_file = read(path)
    out = tmp_path / "out.mid"
    write_atomic(with_timing(note_file.midi, note_file, shifts), out)
    return note_file, read(out)


def test_with_timing_moves_note_on_and_note_off_together(tmp_path):
    notes = [Note(36, 100, 0.5, 0.55), Note(38, 90, 1.0, 1.3), Note(42, 80, 1.0, 1.05)]
    cc = mido.Message("control_change", control=7, value=99, time=0)  # at 1.3 s
    before, after = moved_file(tmp_path, notes, [-0.02, 0.015, 0.0], [cc])
    by_pitch = {n.pitch: n for n in after.notes}
    assert by_pitch[36].start == pytest.approx(0.48, abs=0.002)
    assert by_pitch[38].start == pytest.approx(1.015, abs=0.002)
    assert by_pitch[42].start == pytest.approx(1.0)
    for old in before.notes:
        new = by_pitch[old.pitch]
        assert new.end - new.start == pytest.approx(old.end - old.start, abs=0.002)
        assert new.velocity == old.velocity
    ticks = {m.type: t for t, m in absolute(after.midi.tracks[0])}
    assert ticks["control_change"] == 1248 and ticks["set_tempo"] == 0


def absolute(track):
    now, result = 0, []
    for message in track:
        now += message.time
        result.append((now, message))
    return result


def test_with_timing_never_moves_a_note_across_its_neighbours_on_the_key(tmp_path):
    # a re-struck key: moving the second note 50 ms earlier would start it under the first
    notes = [Note(38, 90, 0.0, 0.5), Note(38, 90, 0.5, 1.0), Note(40, 90, 0.01, 0.2)]
    _, after = moved_file(tmp_path, notes, [0.03, -0.05, -0.05])
    snares = sorted((n for n in after.notes if n.pitch == 38), key=lambda n: n.start)
    assert snares[0].start == pytest.approx(0.0)  # it could not move later: the next follows
    assert snares[1].start >= snares[0].end - 1e-9
    assert [n.start for n in after.notes if n.pitch == 40] == [0.0]  # not before the start


def test_notes_overlapping_on_one_key_keep_their_place_and_never_move_past_their_shift(
        tmp_path):
    """Two notes of one key overlapping in the file (a note-on, another 10 ms later, their
    note-offs after both): moving the first to end before the second once threw it 1 s
    early. Unmoved notes stay put; a small shift is taken where it fits, never more."""
    notes = [Note(60, 90, 0.0, 0.1), Note(60, 90, 2.0, 3.0), Note(60, 90, 2.01, 3.0),
             Note(62, 90, 4.0, 4.1)]
    before, after = moved_file(tmp_path, notes, [0.0, 0.0, 0.0, 0.0])
    assert sorted((n.pitch, n.start, n.end) for n in after.notes) == sorted(
        (n.pitch, n.start, n.end) for n in before.notes)
    _, after = moved_file(tmp_path, notes, [0.0, 0.02, -0.03, 0.01])
    starts = sorted(n.start for n in after.notes if n.pitch == 60)
    assert starts[0] == 0.0
    # the overlapping pair cannot move later (the first would pass the second) nor the
    # second earlier past the first's start: neither moves more than it asked, if at all
    assert 2.0 - 0.03 - 1e-3 <= starts[1] <= 2.0 + 1e-3
    assert 2.0 - 1e-3 <= starts[2] <= 2.01 + 1e-3
    assert [n.start for n in after.notes if n.pitch == 62] == [pytest.approx(4.01, abs=2e-3)]


@pytest.mark.parametrize("wanted, earliest, latest, moved", [
    (0, -100, -996, 0),  # overlapping in the file, no shift wanted: stays
    (10, -100, -996, 0),  # wants later, may not stay: stays
    (-10, -100, -996, 0),  # wants earlier, where it may not stay either: stays
    (-10, -5, 100, -5),  # earlier, as far as the previous note allows
    (10, -5, 4, 4),  # later, up to the next note
    (-10, 3, 100, 0),  # the previous note still sounds: it does not move
    (10, -100, 100, 10),
])
def test_a_shift_stays_between_no_move_and_the_move_wanted(wanted, earliest, latest, moved):
    assert bounded_shift(wanted, earliest, latest) == moved


def kick_offsets(notes) -> np.ndarray:
    """What `early_model` must predict, whole file: the kick EARLY_MS early, re-centred on
    the part's running mean (the pocket) like every timing head's offsets."""

    times = np.array([n.start for n in notes])
    raw = np.where([n.pitch == KICK for n in notes], -EARLY_MS / 1000, 0.0)
    return raw - levels.local_mean(times, raw, times)


def test_the_timing_head_survives_export_and_the_engine_reads_it(early_model):
    from humanizer.engine import Engine

    engine = Engine(early_model)
    assert engine.contract.timing and engine.contract.contract_version >= 2
    notes = sorted(read(DRUM_LOOP).notes, key=lambda n: (n.start, n.pitch))
    assert engine.predict(notes).offsets == pytest.approx(kick_offsets(notes), abs=1e-5)
    live = engine.predict(notes, 0.45).offsets  # a kick and a hat struck together share
    together = [(i, j) for i, a in enumerate(notes) for j, b in enumerate(notes)  # a window
                if a.start == b.start and a.pitch == KICK and b.pitch != KICK]
    assert together
    for i, j in together:
        assert live[i] - live[j] == pytest.approx(-EARLY_MS / 1000, abs=1e-5)


@pytest.fixture
def user_models(early_model, rushing_model, monkeypatch):
    monkeypatch.setenv("HUMANIZER_MODELS", str(early_model.parent))


def pairs_by_time(before, after):
    """(note before, the same note after), matched by key and order on the key."""
    keyed = {}
    for note in sorted(after.notes, key=lambda n: n.start):
        keyed.setdefault((note.channel, note.pitch), []).append(note)
    result = []
    for note in sorted(before.notes, key=lambda n: n.start):
        result.append((note, keyed[(note.channel, note.pitch)].pop(0)))
    return result


def test_humanize_with_timing_moves_only_the_notes(user_models, tmp_path, capsys):
    out = tmp_path / "loop.mid"
    code, printed, err = run(capsys, "humanize", DRUM_LOOP, "-o", out, "--style", "early",
                             "--timing", "0.5")
    assert code == 0, err
    before, after = read(DRUM_LOOP), read(out)
    assert len(after.notes) == len(before.notes)
    expected = dict(zip(before.notes, 0.5 * kick_offsets(before.notes)))
    for old, new in pairs_by_time(before, after):
        if old.start >= 0.05:  # (nothing moves before the start of the file)
            assert new.start - old.start == pytest.approx(expected[old], abs=0.0015)
            assert new.end - new.start == pytest.approx(old.end - old.start, abs=0.0015)
    assert others(before) == others(after)
    mean = float(printed.split("timing: ")[1].split("mean ")[1].split(" ms")[0])
    assert abs(mean) <= 0.5  # the kit keeps its place (within the file's ticks)


def test_a_whole_kit_early_keeps_its_place_and_a_feel_moves_it_on_purpose(user_models,
                                                                         tmp_path, capsys):
    """The pocket: offsets are re-centred on the part's running mean, so a timing head
    that drifts the whole kit ahead moves nothing; --feel moves the part on purpose."""
    kept, felt = tmp_path / "kept.mid", tmp_path / "felt.mid"
    assert run(capsys, "humanize", DRUM_LOOP, "-o", kept, "--style", "rushing",
               "--timing", "1")[0] == 0
    assert run(capsys, "humanize", DRUM_LOOP, "-o", felt, "--style", "rushing",
               "--timing", "1", "--feel", "12ms")[0] == 0
    before = read(DRUM_LOOP)
    assert [n.start for n in read(kept).notes] == pytest.approx([n.start for n in before.notes],
                                                                abs=0.0015)
    for old, new in pairs_by_time(before, read(felt)):
        assert new.start - old.start == pytest.approx(0.012, abs=0.0015)


def others(note_file):
    """(tick, message) of everything but notes and the end of the track (which a note
    moved later takes with it)."""
    return [(t, m.copy(time=0)) for t, m in absolute(mido.merge_tracks(note_file.midi.tracks))
            if not m.type.startswith("note") and m.type != "end_of_track"]


def test_timing_needs_a_style_that_predicts_it(tmp_path, capsys):
    code, _, err = run(capsys, "humanize", DRUM_LOOP, "-o", tmp_path / "x.mid", "--style",
                       "pad", "--timing", "1")
    assert code == 2 and "predicts no timing" in err and not (tmp_path / "x.mid").exists()
    code, _, err = run(capsys, "humanize", DRUM_LOOP, "-o", tmp_path / "x.mid", "--timing", "2")
    assert code == 2 and "timing must be between 0 and 1" in err


def test_eval_reports_timing_against_no_offset(user_models, capsys):
    from humanizer import models
    from humanizer.offline import humanize_part
    from humanizer.output import OutputSettings

    files = sorted((GROOVE / "drummer1" / "eval_session").glob("*.mid"))[:2]
    code, out, err = run(capsys, "eval", *files, "--style", "early", "--input", "score",
                         "--timing", "--json")
    assert code == 0, err
    report = json.loads(out)
    timing = report["timing"]
    truth = np.concatenate([groove_pair(f).offsets for f in files])
    assert timing["zero_mae_ms"] == pytest.approx(np.abs(truth).mean() * 1000, abs=0.01)
    engine = models.load("early")
    predicted = np.concatenate([humanize_part(engine, groove_pair(f).score,
                                              OutputSettings(timing=1.0), 0.5)[1]
                                for f in files])
    assert timing["mae_ms"] == pytest.approx(np.abs(truth - predicted).mean() * 1000, abs=0.05)
    # an amount, as humanize --timing takes one: half of each offset
    code, out, err = run(capsys, "eval", *files, "--style", "early", "--input", "score",
                         "--timing", "0.5", "--json")
    assert code == 0, err
    half = np.concatenate([humanize_part(engine, groove_pair(f).score,
                                         OutputSettings(timing=0.5), 0.5)[1] for f in files])
    assert json.loads(out)["timing"]["mae_ms"] == pytest.approx(
        np.abs(truth - half).mean() * 1000, abs=0.05)
    code, _, err = run(capsys, "eval", *files, "--style", "early", "--timing")
    assert code == 2 and "--input score" in err


def test_demo_gives_dynamics_everywhere_and_feel_where_the_style_has_it(tmp_path, capsys):
    """The drums and the piano part (chords: the comping style) push and pull around their
    place; the band's pad (no timing head) stays on the grid."""
    code, out, err = run(capsys, "demo", "-o", tmp_path)
    assert code == 0, err
    assert "timing: " in out and "lengths: " in out
    for name in ("drum-loop.mid", "piano-part.mid"):
        before, after = read(f"humanizer/examples/{name}"), read(tmp_path / name)
        assert len(set(n.velocity for n in after.notes)) > 5  # dynamics, from a flat part
        moved = np.array(sorted(n.start for n in after.notes)) \
            - np.array(sorted(n.start for n in before.notes))
        assert np.abs(moved).max() > 0.002 and abs(moved.mean()) < 0.003, name
    before, after = read("humanizer/examples/band.mid"), read(tmp_path / "band.mid")
    pad = [sorted(n.start for n in f.notes if n.channel == 1) for f in (before, after)]
    assert pad[0] == pad[1]
    if importlib.util.find_spec("plotly") is not None:  # the plot extra: a page of the band
        assert "Plotly.newPlot" in (tmp_path / "band.html").read_text()
        assert f"drew {tmp_path / 'band.html'}" in out
    if shutil.which("fluidsynth"):  # FluidSynth: the band as sound, before and after
        assert (tmp_path / "band.wav").stat().st_size > 100_000
        assert (tmp_path / "band.before.wav").stat().st_size > 100_000
        assert "(bass): " in out and " dB" in out


def test_the_summary_counts_the_notes_that_moved_in_the_written_file(tmp_path, capsys):
    """A shift that rounds to no tick, or that the notes around it on its key hold back,
    moves nothing: the summary says what the file holds."""
    band = "humanizer/examples/band.mid"
    code, out, err = run(capsys, "humanize", band, "-o", tmp_path / "b.mid", "--timing", "0.5")
    assert code == 0, err
    before, after = read(band).midi, read(tmp_path / "b.mid").midi

    def onsets(midi):
        found = []
        for number, track in enumerate(midi.tracks):
            tick, on_key = 0, Counter()
            for message in track:
                tick += message.time
                if message.type == "note_on" and message.velocity > 0:
                    key = (number, message.channel, message.note)
                    found.append((key, on_key[key], tick))
                    on_key[key] += 1
        return {(key, k): tick for key, k, tick in found}

    old, new = onsets(before), onsets(after)
    moved = sum(old[key] != new[key] for key in old)
    said = sum(int(line.split("timing: ")[1].split()[0]) for line in out.splitlines()
               if "timing: " in line and "moved" in line)
    assert said == moved > 0


def test_layered_notes_of_a_part_stay_together_and_a_kick_may_still_lead_its_hat():
    """Issue 35, item 1: notes within 15 ms of each other in a part (a flam, a layered
    clap) keep within 15 ms of their stroke's first note's shift - never 30 ms apart -
    while notes further apart, and other parts' notes, move as predicted."""
    from humanizer.perform import LAYERED, TOGETHER, layered

    starts = np.array([0.0, 0.006, 0.012, 0.5, 0.5, 1.0, 0.003])
    owners = np.array([0, 0, 0, 0, 0, 0, 1])
    wanted = np.array([-0.04, 0.04, 0.03, -0.005, 0.004, 0.05, 0.05])
    moved = layered(wanted, starts, owners)
    assert moved.tolist() == pytest.approx([-0.04, -0.025, -0.025, -0.005, 0.004, 0.05, 0.05])
    clap = starts[:3] + moved[:3]
    assert np.ptp(clap) <= LAYERED + TOGETHER  # was 0.092 s apart: one clap
    assert moved[4] - moved[3] == pytest.approx(0.009)  # the kick leads the hat


def test_with_timing_moves_ends_by_their_length_changes_within_the_key(tmp_path):
    """A note lengthened into the next note of its key stays as drawn; one shortened
    ends earlier; one shortened past its start keeps a tick; a moved one keeps its
    change."""
    notes = [Note(60, 80, 0.0, 0.5), Note(60, 80, 0.5, 1.0), Note(62, 80, 1.0, 1.2),
             Note(64, 80, 2.0, 2.4)]
    midi = midi_from_notes(notes)
    path = tmp_path / "in.mid"
    write_atomic(midi, path)
    note_file = read(path)
    out = with_timing(note_file.midi, note_file, [0.0, 0.0, 0.0, 0.025],
                      [0.2, -0.25, -0.5, -0.1])
    after = sorted(notes_of(out)[0], key=lambda n: (n.start, n.pitch))
    tick = 0.5 / 480
    assert [t for n in after for t in (n.start, n.end)] == pytest.approx(
        [0.0, 0.5, 0.5, 0.75, 1.0, 1.0 + tick, 2.025, 2.325], abs=1e-6)


def test_eval_feel_sets_each_note_beside_the_players_onset(user_models, capsys):
    """`eval --feel`: the error of the shifts `humanize --timing 1` gives a drummer's
    notes on the grid against where the drummer played them, beside no offset."""
    from dataclasses import replace

    from humanizer import models
    from humanizer.meter import of_file
    from humanizer.offline import humanize_part
    from humanizer.output import OutputSettings

    files = sorted((GROOVE / "drummer1" / "eval_session").glob("*.mid"))[:2]
    code, out, err = run(capsys, "eval", *files, "--style", "early", "--feel", "--json",
                         "--lookahead", "full")
    assert code == 0, err
    report = json.loads(out)
    pairs = [groove_pair(f) for f in files]
    truth = np.concatenate([pair.offsets for pair in pairs])
    engine = models.load("early")
    shifts = np.concatenate([humanize_part(
        engine, [replace(note, velocity=64) for note in pair.score],
        OutputSettings(timing=1.0), meter=of_file(read(f).midi, pair.score))[1]
        for f, pair in zip(files, pairs)])
    assert report["notes"] == len(truth) and report["files"] == 2
    assert report["onsets"]["zero_mae_ms"] == pytest.approx(np.abs(truth).mean() * 1000,
                                                            abs=0.01)
    assert report["onsets"]["mae_ms"] == pytest.approx(np.abs(shifts - truth).mean() * 1000,
                                                       abs=0.01)
    assert report["chords"]["played"]["chords"] > 0 and "lengths" not in report
    code, _, err = run(capsys, "eval", *files, "--style", "pad", "--feel")
    assert code == 2 and "predicts no timing" in err


@pytest.mark.parametrize("wanted, length, room, moved", [
    (-100, 480, None, -100), (-600, 480, None, -479), (-5, 0, None, 0), (200, 480, None, 200),
    (200, 480, 50, 50), (200, 480, -30, 0), (0, 480, 10, 0)])
def test_an_end_keeps_a_tick_and_stays_out_of_the_next_note(wanted, length, room, moved):
    from humanizer.moves import bounded_change

    assert bounded_change(wanted, length, room) == moved
