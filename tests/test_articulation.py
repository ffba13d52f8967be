"""Note lengths: a style's length head, played with --articulation, offline on real files."""

import numpy as np
from helpers import run

from humanizer.notes import read
from humanizer.output import LENGTH_REACH

PIANO_PART = "humanizer/examples/piano-part.mid"


def by_key(notes):
    keyed = {}
    for note in sorted(notes, key=lambda n: (n.start, n.index)):
        keyed.setdefault((note.track, note.channel, note.pitch), []).append(note)
    return keyed


def test_articulation_moves_only_the_ends_within_reach_and_the_key(tiny_note_model, tmp_path,
                                                                   capsys):
    """A style with a length head (ASAP's pianists) at --articulation 1: every onset and
    velocity as at 0, ends moved within LENGTH_REACH, never before the start, never into
    the next note of its key; the summary says how lengths changed."""
    style = str(tiny_note_model)
    code, out, err = run(capsys, "humanize", PIANO_PART, "-o", tmp_path / "flat.mid",
                         "--style", style)
    assert code == 0, err
    assert "lengths:" not in out
    code, out, err = run(capsys, "humanize", PIANO_PART, "-o", tmp_path / "shaped.mid",
                         "--style", style, "--articulation", "1")
    assert code == 0, err
    assert "lengths:" in out and "of the drawn length" in out
    before, plain, shaped = (by_key(read(p).notes) for p in
                             (PIANO_PART, tmp_path / "flat.mid", tmp_path / "shaped.mid"))
    changed = 0
    for key, notes in before.items():
        for number, (drawn, flat, played) in enumerate(zip(notes, plain[key], shaped[key])):
            assert (played.start, played.velocity) == (flat.start, flat.velocity)
            assert played.end > played.start
            assert abs(played.end - drawn.end) <= LENGTH_REACH + 1e-3
            if number + 1 < len(notes) and played.end > drawn.end:
                assert played.end <= notes[number + 1].start + 1e-9
            changed += abs(played.end - drawn.end) > 1e-3
    assert changed > 0.5 * sum(len(notes) for notes in before.values())


def test_articulation_needs_a_style_with_a_length_head(tmp_path, capsys):
    code, _, err = run(capsys, "humanize", PIANO_PART, "-o", tmp_path / "x.mid", "--style",
                       "drums", "--articulation", "1")
    assert code == 2 and "predicts no note lengths" in err
    assert not (tmp_path / "x.mid").exists()
    code, _, err = run(capsys, "humanize", PIANO_PART, "-o", tmp_path / "x.mid",
                       "--articulation", "1.5")
    assert code == 2 and "articulation must be between 0 and 1" in err


def test_articulation_is_a_setting_of_the_config_file(tiny_note_model, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(f'articulation = 1\nstyle = "{tiny_note_model}"\n')
    code, out, err = run(capsys, "humanize", PIANO_PART, "-o", tmp_path / "x.mid", "--config",
                         config)
    assert code == 0, err
    assert "lengths:" in out
    lengths = np.array([n.end - n.start for n in read(tmp_path / "x.mid").notes])
    drawn = np.array([n.end - n.start for n in read(PIANO_PART).notes])
    assert not np.allclose(np.sort(lengths), np.sort(drawn))
