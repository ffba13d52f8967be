"""Pictures: `humanize --plot` and `eval --plot` (the plot extra: matplotlib, and plotly
for a humanized file's page, which test_page opens in a browser)."""

import sys

import pytest
from helpers import BACH_SCORE, run

pytest.importorskip("matplotlib")
BAND = "humanizer/examples/band.mid"
PNG = b"\x89PNG\r\n\x1a\n"


def test_humanize_draws_every_part_as_png_or_html(tmp_path, capsys):
    code, printed, err = run(capsys, "humanize", BAND, "-o", tmp_path / "o.mid", "--timing",
                             "1", "--plot", tmp_path / "band.png")
    assert code == 0, err
    assert (tmp_path / "band.png").read_bytes().startswith(PNG)
    assert f"drew {tmp_path / 'band.png'}" in printed
    code, _, _ = run(capsys, "humanize", BAND, "-o", tmp_path / "p.mid", "--plot",
                     tmp_path / "band.html")
    page = (tmp_path / "band.html").read_text()
    assert code == 0 and page.startswith("<!doctype html>") and "Plotly.newPlot" in page


@pytest.mark.parametrize("target, words", [("x.jpg", ".png or an .html"),
                                           ("x.png", "one file"),
                                           ("missing/x.png", "cannot write the picture there"),
                                           ("a-folder.png", "is a folder")])
def test_a_picture_that_cannot_be_is_one_line_before_any_work(tmp_path, capsys, target,
                                                              words):
    source = tmp_path if target == "x.png" else BAND  # a folder of input: one picture only
    (tmp_path / "a-folder.png").mkdir()
    if target == "x.png":
        (tmp_path / "a.mid").write_bytes(BACH_SCORE.read_bytes())
    code, _, err = run(capsys, "humanize", source, "-o", tmp_path / "out", "--plot",
                       tmp_path / target)
    assert code == 2 and words in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("picture, library", [("p.png", "matplotlib"), ("p.html", "plotly")])
def test_without_the_plot_extra_the_flag_says_how_to_get_it(tmp_path, capsys, monkeypatch,
                                                            picture, library):
    monkeypatch.setitem(sys.modules, library, None)  # as if not installed
    code, _, err = run(capsys, "humanize", BAND, "-o", tmp_path / "o.mid", "--plot",
                       tmp_path / picture)
    assert code == 2 and "pip install 'midi-humanizer[plot]'" in err
    assert not (tmp_path / "o.mid").exists()


def test_eval_draws_each_file(tmp_path, capsys):
    code, _, err = run(capsys, "eval", BACH_SCORE, "--lookahead", "full", "--plot",
                       tmp_path / "pictures")
    assert code == 0, err
    assert (tmp_path / "pictures" / "midi_score.png").read_bytes().startswith(PNG)


@pytest.mark.parametrize("picture", ["e.png", "e.html"])
def test_a_file_with_no_notes_draws_a_picture_that_says_so(tmp_path, capsys, picture):
    import mido

    empty = mido.MidiFile()
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500_000)]))
    empty.save(tmp_path / "empty.mid")
    code, printed, err = run(capsys, "humanize", tmp_path / "empty.mid", "-o",
                             tmp_path / "e.mid", "--plot", tmp_path / picture)
    assert code == 0 and err == "" and "no notes to humanize" in printed
    assert (tmp_path / picture).stat().st_size > 1000


def test_an_existing_picture_is_replaced_only_with_force(tmp_path, capsys):
    (tmp_path / "p.html").write_text("mine")
    code, _, err = run(capsys, "humanize", BAND, "-o", tmp_path / "o.mid", "--plot",
                       tmp_path / "p.html")
    assert code == 2 and "p.html: already exists (use --force to overwrite)" in err
    assert (tmp_path / "p.html").read_text() == "mine" and not (tmp_path / "o.mid").exists()
    code, _, _ = run(capsys, "humanize", BAND, "-o", tmp_path / "o.mid", "--plot",
                     tmp_path / "p.html", "--force")
    assert code == 0 and (tmp_path / "p.html").read_text() != "mine"


def test_a_kit_off_channel_10_gets_a_row_per_piece_and_names_are_not_markup(tmp_path):
    pytest.importorskip("plotly")
    import mido

    from humanizer import page
    from humanizer.examples.band import write_bands
    from humanizer.offline import Humanizer
    from humanizer.output import OutputSettings

    bands = write_bands(tmp_path / "bands")
    kit_on_1 = next(path for path in bands if path.name == "kit-on-1.mid")
    result = Humanizer(None, OutputSettings()).file(kit_on_1, tmp_path / "out.mid")
    kit = next(part for part in result.parts if part.channel == 0)
    assert page.is_kit(kit) and page.part_name(result, kit).endswith("drum kit")
    _, _, labels = page.rows_of(result, kit)
    assert "Bass Drum" in labels and "Snare" in labels
    result.before.midi.tracks[kit.track].insert(0, mido.MetaMessage("track_name",
                                                                    name="<b>Kick</b>"))
    assert page.part_name(result, kit).startswith("&lt;b&gt;Kick")
