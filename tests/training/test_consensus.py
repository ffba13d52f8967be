"""Consensus targets: the mean of a piece's players on each score note."""

import numpy as np
from helpers import ASAP

from humanizer.consensus import piece_consensus, score_keys
from humanizer.datasets.performance import Performance, load_match_pair
from humanizer.notefeatures import COLUMN, DEVIATION_SCALE
from humanizer.training.note_train import NoteTrainConfig, crop

NAN = np.nan


def played(name: str, quarters: list[float], targets: list[float],
           pitches: list[int] | None = None) -> Performance:
    """A performance of a score at 0.5 s a quarter (its tempo does not matter), its
    deviations `targets` in model units (DEVIATION_SCALE velocity steps)."""
    starts = np.array(quarters) * 0.5
    return Performance(name, starts, starts + 0.4, np.array(pitches or [60] * len(quarters)),
                       np.full(len(quarters), 64.0), np.array(targets) * DEVIATION_SCALE,
                       quarters=np.array(quarters))


def test_each_note_aims_at_the_mean_of_the_players_of_its_piece():
    first = played("bach/a.mid", [0, 1, 2], [0.2, NAN, -0.4])
    second = played("bach/b.mid", [0, 1, 2], [0.4, 0.1, 0.0])
    alone = played("chopin/c.mid", [0, 1], [0.3, -0.3])
    [a, b, c] = piece_consensus([first, second, alone])
    np.testing.assert_allclose(a / DEVIATION_SCALE, [0.3, NAN, -0.2])  # not played: not measured
    np.testing.assert_allclose(b / DEVIATION_SCALE, [0.3, 0.1, -0.2])  # the other missed: its own
    assert c is None  # alone with its piece: its own targets are the consensus


def test_the_same_score_note_is_its_quarter_and_its_pitch():
    first = played("bach/a.mid", [0, 0, 1.5], [0.6, -0.6, 0.2], pitches=[60, 64, 60])
    second = played("bach/b.mid", [0, 1.5], [0.0, 0.4], pitches=[64, 60])
    [a, b] = piece_consensus([first, second])
    np.testing.assert_allclose(a / DEVIATION_SCALE, [0.6, -0.3, 0.3])
    np.testing.assert_allclose(b / DEVIATION_SCALE, [-0.3, 0.3])


def test_performances_at_different_tempi_share_every_score_note():
    """The score positions are the match file's fractions, not seconds divided back by
    a tempo: to a thousandth, 64th-note onsets fell either way of the rounding."""
    folder = ASAP / "Beethoven" / "Piano_Sonatas" / "12-1"
    pairs = [load_match_pair(path, 16.0) for path in sorted(folder.glob("*.mid"))]
    pairs = [pair for pair in pairs if pair is not None]
    tempi = [pair.starts[-1] / pair.quarters[-1] for pair in pairs]
    assert len(pairs) == 3 and max(tempi) / min(tempi) > 1.05
    keys = [set(score_keys(pair.quarters, pair.pitches)) for pair in pairs]
    assert len(keys[0]) == 3320 and keys[0] == keys[1] == keys[2]


def test_performances_without_score_positions_have_no_consensus():
    plain = Performance("pop/001.mid", np.array([0.0, 1.0]), np.array([0.5, 1.5]),
                        np.array([60, 62]), np.full(2, 64.0), np.array([0.1, -0.1]))
    assert piece_consensus([plain, plain]) == [None, None]


def test_a_crop_aims_at_the_consensus_as_far_as_its_input_is_flat():
    first = played("bach/a.mid", [0, 1, 2, 3], [0.4, 0.2, -0.4, 0.0])
    second = played("bach/b.mid", [0, 1, 2, 3], [0.0, 0.0, 0.0, 0.4])
    [agreed, _] = piece_consensus([first, second])
    config = NoteTrainConfig(data=[], output="")
    _, flat = crop(first, 0, 4, 0.0, 0.0, None, config, consensus=agreed)
    _, own = crop(first, 0, 4, 0.0, 0.0, None, config)
    np.testing.assert_allclose(flat[:, 0], [0.2, 0.1, -0.2, 0.2], rtol=1e-6)
    np.testing.assert_allclose(own[:, 0], [0.4, 0.2, -0.4, 0.0], rtol=1e-6)
    accented = NoteTrainConfig(data=[], output="", flat_share=0.0, stretch=0.0, transpose=0)
    x, mixed = crop(first, 0, 4, 0.0, 0.0, np.random.default_rng(1), accented,
                    consensus=agreed)
    amount = x[0, COLUMN["accent"]] / 0.4  # the input carries this much of the played
    assert 0.05 < amount < 0.95
    np.testing.assert_allclose(x[:, COLUMN["accent"]], amount * first.deviations / DEVIATION_SCALE,
                               rtol=1e-5)
    np.testing.assert_allclose(mixed[:, 0], amount * first.deviations / DEVIATION_SCALE
                               + (1 - amount) * agreed / DEVIATION_SCALE, rtol=1e-5, atol=1e-6)


def test_two_real_performances_of_a_fugue_agree_on_their_common_notes():
    folder = ASAP / "Bach" / "Fugue" / "bwv_848"
    pairs = [load_match_pair(folder / name, 16.0) for name in ("Denisova06M.mid", "Lee01M.mid")]
    consensus = piece_consensus(pairs)
    for pair, agreed in zip(pairs, consensus):
        assert np.array_equal(~np.isnan(agreed), ~np.isnan(pair.deviations))
    # both played the fugue's first notes: there each aims at the mean of the two
    keys = [dict(zip(zip(np.round(p.quarters, 3), p.pitches), p.deviations)) for p in pairs]
    common = [k for k in keys[0] if k in keys[1] and not np.isnan(keys[0][k] + keys[1][k])]
    assert len(common) > 1000
    first = dict(zip(zip(np.round(pairs[0].quarters, 3), pairs[0].pitches), consensus[0]))
    for key in common[:50]:
        assert abs(first[key] - (keys[0][key] + keys[1][key]) / 2) < 1e-12
