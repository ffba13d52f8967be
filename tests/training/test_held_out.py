"""Real arrangements never tuned on (POP909's test songs), drawn flat at their players'
levels and humanized: each part keeps its level and is shaped about as widely as its
player shaped it."""

import mido
import numpy as np
from helpers import DATA

from humanizer.output import played_level
from humanizer.training import held_out

SONG = DATA / "pop909" / "001" / "001.mid"


def struck(track):
    return [m for m in track if m.type == "note_on" and m.velocity > 0]


def test_each_track_is_drawn_flat_at_the_level_its_player_played_it(tmp_path):
    held_out.flattened(SONG, tmp_path / "flat.mid")
    played, flat = mido.MidiFile(SONG), mido.MidiFile(tmp_path / "flat.mid")
    tracks = [(p, f) for p, f in zip(played.tracks, flat.tracks) if struck(p)]
    assert len(tracks) == 3
    for before, after in tracks:
        level = round(float(np.mean([m.velocity for m in struck(before)])))
        assert {m.velocity for m in struck(after)} == {level}
        assert [m.copy(velocity=0) if m in struck(before) else m for m in before] == \
            [m.copy(velocity=0) if m in struck(after) else m for m in after]


def test_real_arrangements_keep_their_levels_and_are_shaped_like_their_players():
    parts = held_out.measured(DATA, 12)  # (all 86 test songs: docs/quality.md)
    assert len(parts) == 36 and {p.name for p in parts} == {"MELODY", "BRIDGE", "PIANO"}
    assert {(p.name, p.role) for p in parts} == {("MELODY", "lead"), ("BRIDGE", "lead"),
                                                 ("PIANO", "keys")}
    for part in parts:
        assert abs(part.mean - played_level(part.level)) <= 3, part
        assert part.spread >= 3 and part.at_limits[1] <= 0.25, part
    ratios = [p.spread / p.played_spread for p in parts if not p.edited]
    assert 0.8 <= np.median(ratios) <= 1.2  # issue 34: a player's spread, 0.8-1.2 times
    lines = held_out.summary(parts)
    assert lines[0].startswith("- 36 parts of 12 songs: median spread")
    assert [line.split(":")[0] for line in lines[1:]] == ["- keys (pop)", "- lead (lead)"]


def test_quality_puts_the_real_arrangements_beside_the_generated_ones(tmp_path):
    from humanizer.cli import main

    page = tmp_path / "quality.md"
    page.write_text("# Quality\n\n## Arrangements, per part\n\nold rows\n")
    assert main(["quality", "--data", str(DATA), "--out", str(page), "--arrangements-only",
                 "--files", "2"]) == 0
    text = page.read_text()
    assert "## Real arrangements never tuned on, per part" in text
    assert "- 6 parts of 2 songs: median spread" in text and "old rows" not in text


def test_no_pop909_test_songs_is_said_in_one_line(tmp_path):
    import pytest

    from humanizer.errors import HumanizerError

    (tmp_path / "pop909").mkdir()
    with pytest.raises(HumanizerError, match="no POP909 test songs to judge on"):
        held_out.measured(tmp_path, None)
