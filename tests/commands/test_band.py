"""A band through `humanize`, part by part (issue 34): each part's role and style, every part
audibly shaped at any level, its level kept (moved inward at most 8 at the ends), few notes
on the limits, drawn dynamics kept, only velocities changed, a kit split over two tracks
one part, a kit on channel 1 left as drawn unless asked for."""

import contextlib
import io
from collections import defaultdict

import numpy as np
import pytest

from humanizer import models, output
from humanizer.cli import main
from humanizer.examples.band import BANDS, PARTS, write_bands
from humanizer.notes import read

AUDIBLE = 3.0  # velocity steps of spread: under it a part sounds as flat as it came


def humanize(*args) -> tuple[int, str]:
    """`humanizer humanize ARGS...` in this process: (exit status, what it printed)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["humanize", *map(str, args)])
    return code, printed.getvalue()


@pytest.fixture(scope="module")
def bands(tmp_path_factory):
    """Each band humanized with the defaults: name -> (before, after, levels, printed,
    the input's path)."""
    folder = tmp_path_factory.mktemp("bands")
    done = {}
    for path, levels in write_bands(folder / "in").items():
        target = folder / path.name
        code, printed = humanize(path, "-o", target)
        assert code == 0
        done[path.name] = read(path), read(target), levels, printed, path
    return done


def by_channel(note_file) -> dict[int, list]:
    parts = defaultdict(list)
    for note in note_file.notes:
        parts[note.channel].append(note)
    return parts


def test_every_part_gets_its_role_and_that_role_s_style(bands):
    printed = bands["band.mid"][3]
    for name, (channel, _, title, role) in PARTS.items():
        style = models.role_style(role)
        if name == "kit":  # over two tracks of channel 10: one part
            assert f"tracks 6, 7, channel 10: drums (channel 10), style {style}" in printed
        else:
            assert (f"channel {channel + 1}: {role} (track name \"{title}\"), style {style}"
                    in printed), name
    assert "note: made with" not in printed  # no default style is non-commercial


def test_a_file_made_with_a_non_commercial_style_says_so_in_one_line(bands, tmp_path):
    source = bands["band.mid"][4]
    code, printed = humanize(source, "-o", tmp_path / "out.mid", "--style", "piano")
    notes = [line for line in printed.splitlines() if "note: made with" in line]
    assert code == 0 and notes == ["  note: made with the piano style, licensed CC BY-NC-SA "
                                   "4.0 (ASAP, Foscarin et al. 2020): non-commercial use only"]


@pytest.mark.parametrize("name", ["band.mid", "band-loud.mid", "band-quiet.mid"])
def test_every_part_is_audibly_shaped_around_its_level_at_any_level(bands, name):
    after, levels, printed = bands[name][1:4]
    for part, level in levels.items():
        channel = PARTS[part][0]
        velocities = np.array([n.velocity for n in by_channel(after)[channel]])
        played = output.played_level(level)
        assert abs(played - level) <= 8, part  # moved inward at most 8 at the ends
        assert abs(velocities.mean() - played) <= 3.0, (part, velocities.mean(), level)
        assert velocities.std() >= AUDIBLE, (part, velocities.std())
        assert np.mean(velocities >= 127) <= 0.25 and np.mean(velocities <= 1) <= 0.25
    assert "nearly flat" not in printed


@pytest.mark.parametrize("name", sorted(BANDS))
def test_only_velocities_change(bands, name):
    before, after = bands[name][:2]
    assert [(n.start, n.end, n.pitch, n.channel) for n in before.notes] == \
        [(n.start, n.end, n.pitch, n.channel) for n in after.notes]


def test_drawn_dynamics_keep_their_range_and_accents_at_127_stay_loud(bands):
    before, after = bands["band-drawn.mid"][:2]
    for part in ("sax", "guitar"):
        channel = PARTS[part][0]
        drawn = np.array([n.velocity for n in by_channel(before)[channel]])
        played = np.array([n.velocity for n in by_channel(after)[channel]])
        assert played.std() >= 0.8 * drawn.std(), part  # no halving
        assert np.corrcoef(drawn, played)[0, 1] > 0.7, part  # the drawing's shape kept
        accents = played[drawn == 127]
        assert len(accents) == 0 or accents.min() >= 120, part


def test_a_kit_on_channel_1_is_left_as_drawn_unless_asked_for_and_the_summary_says_how(
        bands, tmp_path):
    after, levels, printed, source = bands["kit-on-1.mid"][1:]
    kit = [n.velocity for n in by_channel(after)[0]]
    assert kit == [levels["kit"]] * len(kit)
    assert "channel 1: drums (a drum kit's notes on channel 1), style none" in printed
    assert "--channel-style 1=drums, or --kits-anywhere" in printed
    code, printed = humanize(source, "-o", tmp_path / "out.mid", "--kits-anywhere")
    assert code == 0 and "channel 1: drums (a drum kit's notes on channel 1), style drums" \
        in printed
    kit = np.array([n.velocity for n in by_channel(read(tmp_path / "out.mid"))[0]])
    assert kit.std() >= AUDIBLE and abs(kit.mean() - levels["kit"]) <= 3.0
