"""Unusual and damaged MIDI files through `humanizer humanize` and `humanizer eval`.

The corpus is generated at test time by tests/corpus/make_corpus.py (no binaries in the
repository; each file says what it is and what a user should get). For every file a user
gets either a humanized copy that differs from the input only in note_on velocities, or
one line on stderr starting with `humanizer: ` and exit status 2 - never a traceback, never
a partial output file.
"""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus.compare import assert_notes_kept, assert_only_velocities_changed
from corpus.make_corpus import CORPUS, make_corpus, many_notes
from helpers import run

from humanizer.notes import read

OUTCOME = re.compile(r"^(ok|error)(?: \((.+?)\))?: ")
NAMES = sorted(CORPUS)
OK = [name for name in NAMES if CORPUS[name][0].startswith("ok")]
WITHOUT_KEYBOARD_NOTES = {"meta_only.mid", "off_keyboard.mid"}


def expected(name: str) -> tuple[str, str | None]:
    """('ok', None) or ('error', words the message must contain), from the description."""
    match = OUTCOME.match(CORPUS[name][0])
    assert match, f"{name}: a description must start with 'ok:' or 'error (...):'"
    return match.group(1), match.group(2)


@pytest.fixture(scope="session")
def corpus_folder(tmp_path_factory):
    """The whole corpus, written once per test session."""
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus(folder)
    return folder


def assert_one_line_error(code: int, err: str, words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("humanizer: "), err
    assert words.lower() in err.lower(), err


@pytest.mark.parametrize("name", NAMES)
def test_humanize(corpus_folder, tmp_path, capsys, name):
    outcome, words = expected(name)
    source, out = corpus_folder / name, tmp_path / "out"
    out.mkdir()
    code, printed, err = run(capsys, "humanize", source, "-o", out / name, "--style", "piano")
    if outcome == "error":
        assert_one_line_error(code, err, words)
        assert list(out.iterdir()) == []
        return
    assert (code, err) == (0, ""), err
    assert [p.name for p in out.iterdir()] == [name]  # no stray .part file
    assert_only_velocities_changed(source, out / name)
    assert_notes_kept(source, out / name)
    assert f"wrote {out / name}" in printed


@pytest.mark.parametrize("name", ["reference.mid", "type0.mid", "type2.mid",
                                  "running_status.mid", "all_channels.mid"])
def test_humanize_changes_velocities(corpus_folder, tmp_path, capsys, name):
    """The corpus test above would pass if nothing changed; these files have enough notes
    on the keyboard for the model to vary them."""
    out = tmp_path / name
    assert run(capsys, "humanize", corpus_folder / name, "-o", out, "--style", "piano")[0] == 0
    assert assert_only_velocities_changed(corpus_folder / name, out) > 0


@pytest.mark.parametrize("name", OK)
def test_humanize_with_latency(corpus_folder, tmp_path, capsys, name):
    """The live-emulation path (one window per onset) on every readable file."""
    out = tmp_path / name
    code, _, err = run(capsys, "humanize", corpus_folder / name, "-o", out,
                       "--style", "piano", "--latency", "250ms")
    assert (code, err) == (0, "")
    assert_only_velocities_changed(corpus_folder / name, out)


@pytest.mark.parametrize("name", NAMES)
def test_eval(corpus_folder, capsys, name):
    outcome, words = expected(name)
    code, printed, err = run(capsys, "eval", corpus_folder / name, "--style", "piano",
                             "--json", "--lookahead", "500ms")
    if outcome == "error":
        assert_one_line_error(code, err, words)
    elif name in WITHOUT_KEYBOARD_NOTES:
        assert_one_line_error(code, err, "has notes to evaluate")
    else:
        assert (code, err) == (0, "")
        keyboard = [n for n in read(corpus_folder / name).notes if n.on_keyboard]
        assert json.loads(printed)["notes"] == len(keyboard)


SUBPROCESS = ["reference.mid", "running_status.mid", "no_end_of_track.mid", "garbage.mid",
              "truncated_mid_event.mid", "type0_two_tracks.mid", "smpte.mid"]


@pytest.mark.parametrize("name", SUBPROCESS)
def test_humanize_in_a_real_process(corpus_folder, tmp_path, name):
    """What a user's shell sees: exit status, stderr and files, from `python -m`. Run in
    an empty folder so the installed package is imported, not the source tree."""
    outcome, words = expected(name)
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run([sys.executable, "-m", "humanizer.cli", "humanize",
                             str(corpus_folder / name), "-o", str(out / name),
                             "--style", "piano"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    if outcome == "error":
        assert_one_line_error(result.returncode, result.stderr, words)
        assert list(out.iterdir()) == []
    else:
        assert (result.returncode, result.stderr) == (0, "")
        assert [p.name for p in out.iterdir()] == [name]
        assert_only_velocities_changed(corpus_folder / name, out / name)


def test_eval_in_a_real_process(corpus_folder, tmp_path):
    for name, code in (("reference.mid", 0), ("truncated_track.mid", 2)):
        result = subprocess.run([sys.executable, "-m", "humanizer.cli", "eval",
                                 str(corpus_folder / name), "--style", "piano",
                                 "--json"], capture_output=True, text=True, cwd=tmp_path,
                                timeout=120)
        assert result.returncode == code, result.stderr
        assert "Traceback" not in result.stderr
        if code:
            assert_one_line_error(code, result.stderr, "truncated")


def test_folder_skips_bad_files_and_humanizes_the_rest(corpus_folder, tmp_path,
                                                       capsys):
    """A folder run goes on past damaged files: one 'skipped' line each, exit status 1,
    every readable file written, nothing partial."""
    out = tmp_path / "out"
    code, printed, err = run(capsys, "humanize", corpus_folder, "-o", out,
                             "--style", "piano")
    errors = [name for name in NAMES if name not in OK]
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == len(errors) and "Traceback" not in err
    assert all(line.startswith("humanizer: skipped ") for line in lines)
    assert sorted(p.name for p in out.iterdir()) == OK
    assert f"humanized {len(OK)} of {len(NAMES)} files" in printed


def test_unwritable_output_is_one_line(corpus_folder, tmp_path, capsys):
    (tmp_path / "a-file").write_text("")
    code, _, err = run(capsys, "humanize", corpus_folder / "reference.mid",
                       "-o", tmp_path / "a-file" / "out.mid", "--style", "piano")
    assert_one_line_error(code, err, "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_100k_notes(tmp_path, capsys):
    """A long part (100k notes, ~70 min) in reasonable time: the budget is generous for a
    slow CI runner; the measured time is printed (pytest -s) for the record."""
    source = many_notes(tmp_path / "long.mid", 100_000)
    out = tmp_path / "out.mid"
    started = time.perf_counter()
    code, printed, err = run(capsys, "humanize", source, "-o", out, "--style", "piano")
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n100k notes humanized in {elapsed:.1f} s")
    assert (code, err) == (0, "")
    assert "100000 notes" in printed
    assert elapsed < 60
    assert assert_only_velocities_changed(source, out) > 50_000


def test_settings_and_style_metadata_nested_too_deeply_are_one_line_each(tmp_path, capsys,
                                                                        monkeypatch):
    """Issue 36, item 8: a deeply nested --config TOML or style metadata was a
    RecursionError traceback, and one such style installed broke `humanizer models`."""
    import json

    from helpers import rewrite_metadata

    from humanizer import models
    from humanizer.contract import METADATA_KEY

    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    source = tmp_path / "x.mid"
    source.write_bytes((Path(__file__).parents[2] / "humanizer" / "examples"
                        / "piano-part.mid").read_bytes())
    code, _, err = run(capsys, "humanize", source, "-o", tmp_path / "y.mid", "--config",
                       deep)
    assert code == 2 and err.strip() == (f"humanizer: {deep}: not a settings file (nested "
                                         "too deeply)")
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("HUMANIZER_MODELS", str(folder))
    rewrite_metadata(models.find("pop"), folder / "nested.onnx", lambda p: p.update(
        {METADATA_KEY: "[" * 100000 + "]" * 100000}))
    code, printed, err = run(capsys, "models")
    assert code == 0 and "nested     cannot be used:" in printed and "nested too deeply" \
        in printed
    assert "pop " in printed and not err  # the others still listed
    assert json.loads(run(capsys, "models", "--json")[1])[0]["name"] == "bass"
