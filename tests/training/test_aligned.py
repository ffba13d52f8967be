"""`humanizer eval --input score`: the DAW case (humanizer.datasets.aligned) end to end."""

import json

import numpy as np
from helpers import ASAP

from humanizer.cli import main
from humanizer.datasets import aligned

FUGUE = ASAP / "Bach" / "Fugue" / "bwv_848"


def test_eval_with_score_input(tiny_model, capsys):
    code = main(["eval", str(FUGUE / "Lee01M.mid"), "--style", str(tiny_model),
                 "--input", "score", "--lookahead", "full", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["input"] == "score" and report["lookahead"] == "full"
    assert report["notes"] == len(aligned.align_performance(FUGUE / "Lee01M.mid").score)
    assert report["model"]["spread_ratio"] > 0


def test_eval_refuses_a_bad_lookahead_or_strength_in_one_line(capsys):
    from helpers import run

    code, _, err = run(capsys, "eval", FUGUE / "Lee01M.mid", "--lookahead", "500")
    assert code == 2 and "invalid lookahead '500'" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "eval", FUGUE / "Lee01M.mid", "--strength", "2")
    assert code == 2 and "strength must be between 0 and 1" in err


def test_eval_on_the_match_case_reports_the_musical_checks_and_the_consensus(
        tiny_note_model, capsys):
    files = [str(FUGUE / name) for name in ("Lee01M.mid", "Lou01M.mid")]
    code = main(["eval", *files, "--style", str(tiny_note_model), "--input", "match",
                 "--lookahead", "full", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["input"] == "match" and report["files"] == 2
    assert report["top_notes"]["chords"] > 10
    assert set(report["accent_profile"]) >= {"1", "2", "3", "4"}
    ceiling = report["consensus"]
    assert ceiling["performances"] == 2
    assert ceiling["consensus"]["mae"] < ceiling["flat"]["mae"]  # two pianists agree
    code = main(["eval", *files, "--style", str(tiny_note_model), "--input", "match",
                 "--lookahead", "full", "--input-dynamics", "1", "--json"])
    drawn = json.loads(capsys.readouterr().out)
    assert drawn["baselines"]["input"]["mae"] < 1.0  # as played, but for rounding
    assert drawn["model"]["mae"] != report["model"]["mae"]


SONATA = ASAP / "Beethoven" / "Piano_Sonatas" / "21-2" / "KimSY03.mid"


def test_the_marked_case_draws_in_the_notation_at_the_played_level():
    from humanizer.cases import match_case

    flat, marked = match_case(SONATA), match_case(SONATA, marked=True)
    given = np.array([note.velocity for note in marked.notes], dtype=np.float64)
    assert len(marked.notes) == len(flat.notes) and np.array_equal(marked.truth, flat.truth)
    assert abs(given[marked.measured].mean() - flat.notes[0].velocity) < 1.0
    assert len(set(given.tolist())) > 5 and given.std() > 5  # p, f and hairpins
    # the notation is closer to the pianist than no dynamics at all: what it is worth
    assert np.corrcoef(given[marked.measured], marked.truth)[0, 1] > 0.2
    # a fugue without a single written dynamic: flat, as the flat case
    fugue, level = match_case(FUGUE / "Lee01M.mid", marked=True), match_case(FUGUE / "Lee01M.mid")
    assert {note.velocity for note in fugue.notes} == {level.notes[0].velocity}


def test_the_written_dynamics_line_up_a_notation_export_that_starts_earlier():
    from humanizer.datasets import asap
    from humanizer.datasets.performance import load_match_pair

    # the export of this piece opens with a pickup bar and a grace note the score has not
    performance = ASAP / "Schumann" / "Kreisleriana" / "6" / "Yarden09.mid"
    pair = load_match_pair(performance)
    marks = asap.written_dynamics(performance, pair.quarters, pair.pitches)
    assert np.mean(~np.isnan(marks)) > 0.9


def test_eval_reports_the_marked_input_and_a_drawn_phrase_as_baselines(tiny_note_model, capsys):
    from helpers import run

    code = main(["eval", str(SONATA), "--style", str(tiny_note_model), "--input", "marked",
                 "--lookahead", "full", "--json"])
    marked = json.loads(capsys.readouterr().out)
    assert code == 0 and marked["input"] == "marked" and "input" in marked["baselines"]
    code = main(["eval", str(SONATA), "--style", str(tiny_note_model), "--input", "match",
                 "--lookahead", "full", "--input-dynamics", "1", "--input-phrase", "--json"])
    phrase = json.loads(capsys.readouterr().out)
    assert code == 0 and phrase["input_phrase"] is True
    # the phrase alone is less than all that was played and more than nothing
    assert 1.0 < phrase["baselines"]["input"]["mae"] < phrase["baselines"]["flat"]["mae"]
    code, _, err = run(capsys, "eval", SONATA, "--style", tiny_note_model, "--input", "match",
                       "--input-phrase")
    assert code == 2 and "add --input-dynamics" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "eval", SONATA, "--style", tiny_note_model, "--input", "marked",
                       "--input-dynamics", "0.5")
    assert code == 2 and "already draws in the notation" in err and len(err.splitlines()) == 1


def test_eval_without_the_meter_plays_as_a_part_without_one_and_still_measures_by_it(
        tiny_note_model, capsys):
    common = ["eval", str(SONATA), "--style", str(tiny_note_model), "--input", "match",
              "--lookahead", "full", "--json"]
    assert main(common) == 0
    with_meter = json.loads(capsys.readouterr().out)
    assert main([*common, "--no-meter"]) == 0
    without = json.loads(capsys.readouterr().out)
    assert with_meter["meter"] is True and without["meter"] is False
    assert without["baselines"]["flat"] == with_meter["baselines"]["flat"]
    assert without["model"]["mae"] != with_meter["model"]["mae"]  # the style heard no meter
    # the accent profile is measured by the data's meter all the same: the played one is equal
    assert {place: row["played"] for place, row in without["accent_profile"].items()} == {
        place: row["played"] for place, row in with_meter["accent_profile"].items()}
