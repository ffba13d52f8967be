"""`humanizer eval --input score`: the DAW case (humanizer.datasets.aligned) end to end."""

import json

from conftest import ASAP

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
    from conftest import run

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
