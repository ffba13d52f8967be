"""The settings file: the same settings as serve's flags and ctl set, checked alike."""

import pytest
from helpers import run

from humanizer import config
from humanizer.errors import HumanizerError


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_a_config_file_is_read_and_checked(tmp_path):
    path = write(tmp_path, 'latency = "250ms"\nstrength = 0.8\nfeel = "-5ms"\nstyle = "pop"\n'
                           'skip_channels = [4]\n[channels]\n10 = "drums"\n')
    settings, source = config.load(path)
    assert source == path
    assert settings == {"latency": 0.25, "strength": 0.8, "feel": -0.005, "style": "pop",
                        "skip_channels": frozenset({3}), "channels": {9: "drums"}}


def test_no_file_at_the_default_place_is_no_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANIZER_CONFIG", str(tmp_path / "none.toml"))
    assert config.load(None) == ({}, None)


@pytest.mark.parametrize("text, words", [
    ("strength = 2", "strength must be between 0 and 1"),
    ('latency = "9s"', "latency must be between"),
    ("colour = 1", "unknown setting colour"),
    ("[channels]\n17 = \"drums\"", "channels are 1 to 16"),
    ("strength = ", "not a valid TOML file"),
    ("[channel_strength]\n2 = 1.5", "strength must be between 0 and 1"),
    ("[channel_strength]\n0 = 0.5", "CHANNEL=STRENGTH with a channel from 1 to 16"),
])
def test_a_bad_config_file_names_the_file_and_the_setting(tmp_path, text, words):
    with pytest.raises(HumanizerError, match=words) as raised:
        config.load(write(tmp_path, text))
    assert str(raised.value).startswith(str(tmp_path / "config.toml"))


def test_serve_refuses_a_bad_or_missing_config_in_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "serve", "--config", write(tmp_path, "timing = 7"))
    assert code == 2 and "timing must be between 0 and 1" in err and err.count("\n") == 1
    code, _, err = run(capsys, "serve", "--config", tmp_path / "none.toml")
    assert code == 2 and "no such config file" in err


def test_humanize_plays_the_config_files_settings_and_a_flag_wins(tmp_path, capsys):
    from helpers import BACH_SCORE

    from humanizer.notes import read

    path = write(tmp_path, "velocity_max = 90\nvelocity_min = 40\nstrength = 1\n"
                           'latency = "250ms"\nstyle = "pop"\n')
    code, out, err = run(capsys, "humanize", BACH_SCORE, "-o", tmp_path / "a.mid",
                         "--config", path)
    assert code == 0, err
    assert f"settings from {path}" in out and "style pop," in out
    velocities = [note.velocity for note in read(tmp_path / "a.mid").notes]
    assert 40 <= min(velocities) and max(velocities) <= 90
    code, out, err = run(capsys, "humanize", BACH_SCORE, "-o", tmp_path / "b.mid",
                         "--config", path, "--strength", "0", "--velocity-min", "1",
                         "--velocity-max", "127")
    assert code == 0, err
    assert [n.velocity for n in read(tmp_path / "b.mid").notes] == \
        [n.velocity for n in read(BACH_SCORE).notes]  # the flags: the input, unchanged


def test_a_channel_strength_from_the_config_or_a_flag_humanizes_that_part_less(tmp_path,
                                                                              capsys):
    """band.mid's pad is channel 2: at strength 0 it keeps its drawn velocities while the
    other parts change; a flag wins over the config for its channel."""
    from humanizer.notes import read

    band = "humanizer/examples/band.mid"
    drawn = read(band).notes

    def by_channel(path):
        return {ch: [n.velocity for n in read(path).notes if n.channel == ch] for ch in (0, 1)}

    path = write(tmp_path, "[channel_strength]\n2 = 0\n")
    code, printed, err = run(capsys, "humanize", band, "-o", tmp_path / "a.mid", "--config",
                             path)
    assert code == 0, err
    assert "nearly flat: at strength 0 the style's shape is scaled down" in printed
    played = by_channel(tmp_path / "a.mid")
    assert played[1] == [n.velocity for n in drawn if n.channel == 1]
    assert played[0] != [n.velocity for n in drawn if n.channel == 0]
    code, _, err = run(capsys, "humanize", band, "-o", tmp_path / "b.mid", "--config", path,
                       "--channel-strength", "2=1", "--channel-strength", "1=0")
    assert code == 0, err
    played = by_channel(tmp_path / "b.mid")
    assert played[0] == [n.velocity for n in drawn if n.channel == 0]
    assert played[1] != [n.velocity for n in drawn if n.channel == 1]
    code, _, err = run(capsys, "humanize", band, "-o", tmp_path / "c.mid",
                       "--channel-strength", "2=loud")
    assert code == 2 and "strength must be" in err and err.count("\n") == 1


def test_humanize_refuses_a_bad_config_file_in_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "humanize", "humanizer/examples/piano-part.mid", "-o",
                       tmp_path / "x.mid", "--config", write(tmp_path, "strength = 3"))
    assert code == 2 and err.count("\n") == 1 and "strength must be between 0 and 1" in err
    assert not (tmp_path / "x.mid").exists()
