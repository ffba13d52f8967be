"""The Weimar Jazz Database's solos as the DAW case of a lead line: timing and lengths.

Each of its 456 transcribed solos (`wjd_transforms.rda`: one row per note, with its place
on the metrical grid - bar, beat, tatum of `division` per beat) is read against its beat
track (`wjd_annotated_beat_tracks.rda`, the band's beats tapped on the recording). The
written part is each note on its grid point of the band's beats; the targets are where the
soloist played it (the onset offset) and how long (the length ratio, humanizer.datasets.
feel). There are no dynamics in this copy: the velocity targets are unknown (NaN) and the
input is flat.

A swung eighth is written straight in a DAW part of a pop song but sits a third of a beat
late in a jazz solo: each solo's median offset on each grid slot (division and tatum) is
taken out, so the style learns how a player moves notes around the slot, not the swing.

The data is read with the `rdata` package (the `train` extra). A solo is named as a path
`<folder>/<melid>.solo` so that the catalog, the splits and the loaders treat it like a
performance file.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from humanizer.datasets import feel
from humanizer.datasets.splits import split_of
from humanizer.errors import HumanizerError
from humanizer.meter import Meter

NOTES = "wjd_transforms.rda"
BEATS = "wjd_annotated_beat_tracks.rda"
SUFFIX = ".solo"
LONGEST_WRITTEN = 2.0  # beats: a note before a longer gap is written no longer than this


def is_wjd(root: Path) -> bool:
    return (root / NOTES).is_file() and (root / BEATS).is_file()


@functools.cache
def _tables(root: Path) -> tuple:
    """(notes, beats) DataFrames, read once per process."""
    try:
        import rdata
    except ImportError:
        raise HumanizerError("reading the Weimar Jazz Database needs the train extra "
                             "(pip install 'midi-humanizer[train]')") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rdata: tibbles read as data frames, as wanted
        notes = rdata.read_rda(str(root / NOTES))["wjd_transforms"]
        beats = rdata.read_rda(str(root / BEATS))["wjd_annotated_beat_tracks"]
    return notes, beats


def performances(root: Path, split: str | None = None) -> list[Path]:
    """One pseudo-path per solo, split by a hash of the solo's name."""
    notes, _ = _tables(root)
    solos = notes.groupby("melid", sort=True)["id"].first()
    return [root / f"{melid}{SUFFIX}" for melid, name in solos.items()
            if split is None or split_of(str(name)) == split]


def grid_times(bars: np.ndarray, beats: np.ndarray, tatums: np.ndarray,
               divisions: np.ndarray, beat_table) -> tuple[np.ndarray, np.ndarray]:
    """Each note's written onset (seconds: its beat's tapped onset plus its tatum's share of
    the beat) and its beat's length."""
    index = {(int(b), int(k)): (float(t), float(d)) for b, k, t, d in zip(
        beat_table["bar"], beat_table["beat"], beat_table["onset"], beat_table["duration"])}
    found = [index.get((int(b), int(k)), (np.nan, np.nan)) for b, k in zip(bars, beats)]
    onsets = np.array([f[0] for f in found])
    lengths = np.array([f[1] for f in found])
    return onsets + (tatums - 1) / np.maximum(divisions, 1) * lengths, lengths


@dataclass
class Solo:
    """One solo as a DAW case: its notes on their grid points (seconds from the first),
    written legato up to the next note, their pitches and meter, and what the soloist did
    with them: the onset offsets (swing out; NaN: an outlier) and the length ratios."""

    starts: np.ndarray
    ends: np.ndarray
    pitches: np.ndarray
    meter: Meter
    offsets: np.ndarray
    lengths: np.ndarray


def load_solo(path: Path) -> Solo | None:
    """The DAW case of one solo: the notes on their grid points, written legato up to the
    next note (LONGEST_WRITTEN beats at most), with the meter; targets: the onset offsets
    (slot medians out) and the length ratios. None for a solo with no usable notes."""
    notes, beats = _tables(path.parent)
    melid = int(path.stem)
    solo = notes[notes["melid"] == melid].sort_values("onset")
    track = beats[beats["melid"] == melid]
    grid, beat = grid_times(solo["bar"].to_numpy(), solo["beat"].to_numpy(),
                            solo["tatum"].to_numpy(np.float64),
                            solo["division"].to_numpy(np.float64), track)
    played = solo["onset"].to_numpy(np.float64)
    keep = ~np.isnan(grid) & (grid >= 0)
    if keep.sum() < 8:
        return None
    grid, beat, played = grid[keep], beat[keep], played[keep]
    solo = solo[keep]
    order = np.argsort(grid, kind="stable")
    grid, beat, played, solo = grid[order], beat[order], played[order], solo.iloc[order]
    offsets = slot_centred(played - grid, solo["division"].to_numpy(),
                           solo["tatum"].to_numpy())
    offsets[~(np.abs(offsets) <= feel.OUTLIER)] = np.nan
    next_grid = np.append(grid[1:], np.inf)
    written = np.minimum(next_grid - grid, LONGEST_WRITTEN * beat)
    next_played = np.append(played[1:], np.nan)
    with np.errstate(invalid="ignore"):  # the last note has no next one: NaN, unknown
        held = solo["articulation_raw"].to_numpy(np.float64) * (next_played - played)
    division = np.maximum(solo["division"].to_numpy(np.float64), 1)
    tatum = solo["tatum"].to_numpy(np.float64)
    signature = track["signature"].astype(str).str.extract(r"(\d+)/")[0].astype(float)
    beats_in_bar = float(signature.mode().iloc[0]) if len(signature.dropna()) else 4.0
    phase = (tatum - 1) / division
    position = solo["beat"].to_numpy(np.float64) - 1 + phase
    pitches = solo["pitch_raw"].to_numpy(np.int64)
    count = len(grid)
    return Solo(grid - grid[0], grid - grid[0] + written, pitches,
                Meter(phase=phase, position=position, beats=np.full(count, beats_in_bar),
                      known=np.ones(count)),
                offsets, feel.length_ratios(held, written))


def slot_centred(offsets: np.ndarray, divisions: np.ndarray, tatums: np.ndarray
                 ) -> np.ndarray:
    """Offsets less their median on each grid slot (division, tatum): the swing taken out."""
    offsets = np.asarray(offsets, dtype=np.float64).copy()
    slots = np.asarray(divisions) * 100 + np.asarray(tatums)
    for slot in np.unique(slots):
        mine = (slots == slot) & (np.abs(offsets) <= 3 * feel.OUTLIER)
        if mine.any():
            offsets[slots == slot] -= np.median(offsets[mine])
    return offsets
