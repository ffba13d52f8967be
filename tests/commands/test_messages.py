"""What a musician sees when something is off: one line that says what to do, and the
exit status - for the commands' usage slips found by trying them as a new user."""

import pytest
from helpers import BACH_SCORE, run

from humanizer.cli import negative_values
from humanizer.daemon.harness import free_port_pair


def one_line(code, err, words, status=2):
    assert code == status, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert words in err, err


@pytest.mark.parametrize("args, words", [
    (["ctl", "status", "--control", "127.0.0.1:27555"], "did you mean tcp://127.0.0.1:27555"),
    (["ctl", "--control", "tcp://127.0.0.1:99999", "status"], "port from 1 to 65535"),
    (["serve", "--control", "tcp://127.0.0.1:99999"], "port from 1 to 65535"),
    (["ctl", "set", "latency", "-1s", "--timeout", "100ms"], "no humanizer daemon answered"),
    (["ctl", "use", "piano", "--channel", "17"], "channels are 1 to 16"),
    (["humanize", BACH_SCORE, "-o", "x.mid", "--latency", "-1s"], "non-negative"),
    (["humanize", BACH_SCORE, "-o", "x.mid", "--latency", "99999999s"], "between 0ms and 5s"),
    (["humanize", BACH_SCORE, "-o", "x.mid", "--latency", "１００ms"], "invalid latency"),
])
def test_usage_slips_are_one_line(args, words, capsys):
    one_line(*run(capsys, *args)[::2], words)


def test_options_may_follow_the_action(capsys):
    port = free_port_pair()
    code, _, err = run(capsys, "ctl", "status", "--control", f"tcp://127.0.0.1:{port}",
                       "--timeout", "100ms")
    one_line(code, err, f"no humanizer daemon answered at tcp://127.0.0.1:{port} within 0.1s")


def test_negative_values_reach_their_option():
    assert negative_values(["humanize", "a", "--feel", "-8ms"]) == ["humanize", "a",
                                                                    "--feel=-8ms"]
    assert negative_values(["ctl", "set", "feel", "-8ms", "--timeout", "1s"]) == [
        "ctl", "set", "feel", "--timeout", "1s", "--", "-8ms"]
    assert negative_values(["humanize", "-o", "x"]) == ["humanize", "-o", "x"]


def test_an_output_in_a_missing_folder_or_on_a_folder_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "humanize", BACH_SCORE, "-o", tmp_path / "no" / "x.mid")
    one_line(code, err, "no such folder")
    assert not (tmp_path / "no").exists()
    code, _, err = run(capsys, "humanize", "humanizer/examples", "-o", tmp_path / "no" / "out")
    one_line(code, err, "no such folder")  # a folder's output: its own folder may be made
    assert not (tmp_path / "no").exists()
    (tmp_path / "adir").mkdir()
    code, _, err = run(capsys, "humanize", BACH_SCORE, "-o", tmp_path / "adir", "--force")
    one_line(code, err, "is a folder")
    assert list((tmp_path / "adir").iterdir()) == []


def test_a_text_file_is_not_a_midi_file(tmp_path, capsys):
    (tmp_path / "notes.mid").write_text("hi\n")
    code, _, err = run(capsys, "humanize", tmp_path / "notes.mid", "-o", tmp_path / "o.mid")
    one_line(code, err, "not a MIDI file")


def test_serve_refuses_timing_without_a_timing_head(capsys):
    code, _, err = run(capsys, "serve", "--style", "pad", "--timing", "1", "--control",
                       f"tcp://127.0.0.1:{free_port_pair()}")
    one_line(code, err, "predicts no timing")


def test_serve_refuses_articulation_without_a_length_head(capsys):
    code, _, err = run(capsys, "serve", "--style", "drums", "--articulation", "1", "--control",
                       f"tcp://127.0.0.1:{free_port_pair()}")
    one_line(code, err, "predicts no note lengths")


def test_control_and_events_on_one_address_is_refused(capsys):
    address = f"tcp://127.0.0.1:{free_port_pair()}"
    code, _, err = run(capsys, "serve", "--control", address, "--events", address)
    one_line(code, err, "is the control address too")


def test_one_file_is_not_files(capsys):
    code, printed, _ = run(capsys, "eval", BACH_SCORE, "--lookahead", "full")
    assert code == 0 and " in 1 file (" in printed and "-0.000" not in printed
