"""Data set folders and their deterministic splits (humanizer.datasets, no TensorFlow)."""

import csv

import pytest
from helpers import ASAP, DATA, GROOVE

from humanizer.datasets import catalog, splits


def test_asap_is_split_by_piece_never_by_performance():
    with open(ASAP / "metadata.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    split_of_file = {}
    for split in splits.SPLITS:
        for path in catalog.performances(ASAP, split):
            split_of_file[str(path.relative_to(ASAP))] = split
    assert len(split_of_file) == len(rows)
    by_piece = {}
    for row in rows:
        by_piece.setdefault(row["folder"], set()).add(split_of_file[row["midi_performance"]])
    assert all(len(found) == 1 for found in by_piece.values())
    counts = {s: len(catalog.performances(ASAP, s)) for s in splits.SPLITS}
    assert counts["test"] > 50 and counts["validation"] > 50 and counts["train"] > 600
    assert catalog.performances(ASAP, "test") == catalog.performances(ASAP, "test")


def test_groove_uses_its_official_split():
    assert {s: len(catalog.performances(GROOVE, s)) for s in splits.SPLITS} == \
        {"train": 897, "validation": 124, "test": 129}


def test_any_folder_is_split_by_file(tmp_path):
    for i in range(40):
        (tmp_path / f"{i}.mid").write_bytes(b"")
    found = [catalog.performances(tmp_path, s) for s in splits.SPLITS]
    assert sum(len(s) for s in found) == 40
    assert not set(found[0]) & set(found[1]) and not set(found[0]) & set(found[2])
    assert sorted(sum(found, [])) == catalog.performances(tmp_path)


def test_a_folder_of_one_asap_piece_holds_its_performances_not_its_score():
    piece = ASAP / "Bach" / "Fugue" / "bwv_848"
    found = catalog.performances(piece)
    assert found and all(path.name != "midi_score.mid" for path in found)
    assert len(found) == len(list(piece.glob("*.mid"))) - 1


def test_each_kind_of_folder_is_recognised_by_its_index():
    assert catalog.kind_of(ASAP) == "asap"
    assert catalog.kind_of(GROOVE) == "groove"
    assert catalog.kind_of(DATA / "pop909") == "folder"


def test_an_unknown_split_is_refused(tmp_path):
    with pytest.raises(ValueError, match="train, validation, test"):
        catalog.performances(tmp_path, "dev")
