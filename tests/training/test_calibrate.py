"""Calibration: the gain and the variation scale a style ships with, chosen on validation
data and played exactly as `humanize` plays them, and each kit piece's place."""

import numpy as np
import pytest


def test_gain_choice_reaches_the_spread_only_with_a_real_margin_over_flat():
    from humanizer.training.calibrate import choose_gain

    def row(mae, spread):
        return {"mae": mae, "pearson_median": 0.5, "spread_ratio": spread}

    flat = {0.0: row(14.0, 0.0)}
    # 2.0 reaches the spread but is only 2% better than flat: take the widest with 5%
    assert choose_gain({**flat, 1.0: row(12.0, 0.4), 1.5: row(12.5, 0.7),
                        2.0: row(13.7, 0.9)}) == 1.5
    # the smallest gain that reaches the spread with the margin wins
    assert choose_gain({**flat, 1.0: row(12.0, 0.6), 1.5: row(12.2, 0.92),
                        2.0: row(12.4, 1.1)}) == 1.5
    # the margin is only kept by a flattened gain: the smallest gain that is not flattened
    assert choose_gain({**flat, 1.0: row(12.0, 0.5), 1.5: row(12.9, 0.75),
                        2.0: row(13.5, 0.95)}) == 1.5
    # nothing beats flat: leave the model as trained
    assert choose_gain({**flat, 1.0: row(14.5, 0.5)}) == 1.0
    # the spread stops growing short of the target (a loud kit's headroom): the smallest
    # gain at the widest spread, not the largest gain at the same spread and more MAE
    assert choose_gain({**flat, 1.0: row(12.0, 0.67), 1.5: row(12.2, 0.77),
                        1.75: row(12.3, 0.81), 2.0: row(12.4, 0.816),
                        3.0: row(12.9, 0.819)}) == 1.75


def test_piece_offsets_give_each_kit_piece_the_drummers_place_against_the_kit():
    """The drummers play a mid tom at 100 and the hats at 70 (the kit's mean: 82); the
    style at gain 2 plays them at 90 and 76 (mean 81.6): the tom is 9.6 short of its place,
    the hats 6.4 too high - offsets of +4.8 and -3.2 before the gain. A piece heard on
    fewer than PIECE_NOTES notes gets none."""

    from humanizer.training.calibrate import PIECE_NOTES, Raw, piece_offsets

    pitches = np.array([42] * 90 + [45] * 60 + [49] * (PIECE_NOTES - 1))  # hat, tom, crash
    truth = np.select([pitches == 45, pitches == 42], [100.0, 70.0], 82.0)
    added = np.select([pitches == 45, pitches == 42], [5.0, -2.0], 0.0)  # at gain 1
    flat = np.full(len(pitches), 80.0)
    raw = Raw(truth[:150], flat[:150], flat[:150], added[:150], np.full(150, 4.0),
              np.zeros(150), np.zeros(150), pitches[:150])
    assert piece_offsets([raw], 2.0) == pytest.approx({"closed hat": -3.2, "mid tom": 4.8},
                                                      abs=0.01)
    few = Raw(truth, flat, flat, added, np.full(len(pitches), 4.0), np.zeros(len(pitches)),
              np.zeros(len(pitches)), pitches)
    assert "crash" not in piece_offsets([few], 2.0)


def test_calibration_plays_a_gain_exactly_as_humanize_would():
    """The gain is chosen on the velocities the one output step plays, not on a copy of it."""
    from helpers import BACH_SCORE

    from humanizer import models
    from humanizer.cases import case_of
    from humanizer.offline import humanize_part
    from humanizer.output import OutputSettings
    from humanizer.training.calibrate import _raw

    path = models.find("piano")
    raw = _raw(str(path), BACH_SCORE, 0.5, "performance")
    engine = models.load("piano")
    case = case_of(BACH_SCORE, "performance")
    played, _, _ = humanize_part(engine, case.notes, OutputSettings(), 0.5, meter=case.meter)
    assert raw.at(engine.contract.gain).tolist() == played.astype(float).tolist()


def test_calibration_plays_a_take_exactly_as_humanize_variation_would():
    """The variation scale is chosen on the takes `humanize --variation 1 --seed 0` plays
    with the spread head scaled: a scaled head in the contract is that take."""
    from helpers import BACH_SCORE

    from humanizer import models
    from humanizer.cases import case_of
    from humanizer.offline import humanize_part
    from humanizer.output import OutputSettings
    from humanizer.training.calibrate import _raw
    from humanizer.variation import Takes

    path = models.find("piano")
    raw = _raw(str(path), BACH_SCORE, 0.5, "performance")
    engine = models.load("piano")
    engine.contract.variation_scale = 1.6
    case = case_of(BACH_SCORE, "performance")
    played, _, _ = humanize_part(engine, case.notes, OutputSettings(variation=1.0), 0.5,
                              meter=case.meter, takes=Takes(0))
    take = raw.at(engine.contract.gain, 1.0, 1.6)
    assert take.tolist() == played.astype(float).tolist()
    assert take.tolist() != raw.at(engine.contract.gain, 1.0, 1.0).tolist()
    assert take.std() > raw.at(engine.contract.gain).std()


def test_the_variation_scale_is_the_one_whose_takes_spread_as_the_players():
    from humanizer.training.calibrate import choose_variation_scale

    rows = {0.8: {"spread_ratio": 0.84}, 1.0: {"spread_ratio": 0.93},
            1.2: {"spread_ratio": 1.04}, 1.4: {"spread_ratio": 1.15}}
    assert choose_variation_scale(rows) == 1.2
    assert choose_variation_scale({1.0: {"spread_ratio": 0.95},
                                   1.1: {"spread_ratio": 1.05}}) == 1.0  # a tie: less varied
    # the drums' validation: the spread stops growing at 0.73, the MAE does not
    plateau = {0.6: {"spread_ratio": 0.701}, 0.8: {"spread_ratio": 0.714},
               1.0: {"spread_ratio": 0.731}, 1.5: {"spread_ratio": 0.732},
               2.0: {"spread_ratio": 0.732}, 3.0: {"spread_ratio": 0.714}}
    assert choose_variation_scale(plateau) == 0.8
