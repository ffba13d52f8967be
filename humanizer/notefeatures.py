"""The note-level encoding shared by training, offline and live: one step per note.

Encoding `notefeatures`, version 3 (DESIGN sections 3 and 8; version 2 is its first
V2_INPUTS features, which styles trained with it still get). The frame encoding (v1)
hides what a quantized part says most clearly - the voicing of a chord, the meter, the
user's own accents - and moves a note across a frame edge on a few milliseconds of MIDI
jitter. Here every note is one step (sorted by onset, then pitch within a chord) with what
a DAW can give about it:

- the note: pitch, duration (as far as it is heard), whether it still sounds;
- the voicing: chord size, rank from the top and from the bottom, the highest and lowest
  pitch sounding at its onset relative to it, the register around it;
- the rhythm: the intervals to the previous and the next onset, the density of onsets in
  the second before and the quarter second after;
- the user's accent: its input velocity relative to the input's local level;
- the meter where it is known (beat phase, position in the bar, downbeat), else a 0 flag;
- for drums, the kit piece (humanizer.drumkit's classes) and, since version 3, the stroke:
  which of the kit's notes it is, one input each, since the TD-11's bow and edge of one
  piece are played 40 steps apart (drumkit) and a single pitch input blurs them.

Only notes started by `horizon` are heard, and a note still sounding then is cut there: a
live window and the same window offline give the same steps. Outputs, per step: the
velocity deviation from the local level (in DEVIATION_SCALE units), the log of its
spread (how much a player varies it), and optionally the onset offset (OFFSET_SCALE) and
the log2 of the note's played length over its written one.

Any change to what these functions compute is a new ENCODING_VERSION. (Hearing the meter
on a grid of METER_GRID per beat and reaching EDGE past the density windows changed nothing
a quantized part says - the DAW case every style is trained on - but a part's jitter.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from humanizer import drumkit
from humanizer.levels import even_slices
from humanizer.meter import Meter

ENCODING_NAME = "notefeatures"
DEVIATION_SCALE = 32.0  # velocity steps per model output unit
OFFSET_SCALE = 0.05  # seconds per unit of a timing head's output (onset offsets)
ENCODING_VERSION = 3
METER_GRID = 48  # points per beat the meter is heard on: 16ths and triplets both lie on it
# seconds the density windows reach past their edge: on a grid a note often lies exactly 1 s
# (or 1/4 s) from another, and a few ms of MIDI jitter moved it in or out of the count
EDGE = 0.008
CHORD_SECONDS = 0.035  # onsets this close to a chord's first are one chord
SMALL = 512  # notes up to which the sounding pitches are found pair by pair (a live window)
HELD_SECONDS = 8.0  # a note held longer than this no longer counts as sounding over others
LONGEST = 4.0  # durations and intervals are heard up to this long
ACCENT_LIMIT = 2 * DEVIATION_SCALE  # velocity steps: an accent is heard up to this far out
KIT = list(drumkit.CLASSES)
FEATURES = ("present", "pitch", "duration", "still_sounding", "chord_size", "rank_top",
            "rank_bottom", "is_top", "is_bottom", "above", "below", "interval_before",
            "interval_after", "next_unheard", "density_before", "density_after", "register",
            "accent", "meter_known", "phase_sin", "phase_cos", "bar_sin", "bar_cos",
            "downbeat", "on_beat") + tuple(f"kit_{name.replace(' ', '_')}" for name in KIT) \
    + ("kit_other",)
V2_INPUTS = len(FEATURES)
STROKES = tuple(sorted(drumkit.KIT_NOTES))
FEATURES += tuple(f"stroke_{note}" for note in STROKES)
INPUTS = len(FEATURES)
# features a training run can go without, to measure what they are worth (train --without);
# the voicing's is the explicit voicing only: the order of a chord's steps (by pitch, the
# same onset intervals) still shows a sequence model much of it. The register stays: it
# is the hand's place on the keyboard, not the chord's shape
GROUPS = {
    "voicing": ("chord_size", "rank_top", "rank_bottom", "is_top", "is_bottom", "above",
                "below"),
    "meter": ("meter_known", "phase_sin", "phase_cos", "bar_sin", "bar_cos", "downbeat",
              "on_beat"),
    "strokes": tuple(f"stroke_{note}" for note in STROKES),
}
COLUMN = {name: index for index, name in enumerate(FEATURES)}
OUTPUTS = ("velocity_deviation", "velocity_spread", "onset_offset", "length_ratio")


def chords(times: np.ndarray) -> np.ndarray:
    """For each onset (sorted), the index of the first note of its chord."""
    first = [0] * len(times)
    anchor, opened = 0, float(times[0]) if len(times) else 0.0
    for i, time in enumerate(times.tolist()):  # Python floats: a window's loop, 5x faster
        if time - opened >= CHORD_SECONDS:
            anchor, opened = i, time
        first[i] = anchor
    return np.array(first, dtype=np.int64)


def step_order(times: np.ndarray, pitches: np.ndarray,
               first: np.ndarray | None = None) -> np.ndarray:
    """The order of the steps: by chord, then pitch - never by which note of a chord
    arrived a microsecond first. `first`: the notes' `chords`, where already known."""
    return np.lexsort((pitches, chords(times) if first is None else first))


def _log_seconds(seconds: np.ndarray) -> np.ndarray:
    """log2 of a duration in seconds, 0 at a quarter second, about -1..1 for 1/32 s..4 s."""
    return np.log2(np.minimum(np.maximum(seconds, 1 / 32), LONGEST) / 0.25) / 4


def _sounding(times: np.ndarray, ends: np.ndarray, pitches: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """The highest and lowest pitch sounding at each onset (its own chord included): for
    a window's few hundred notes every pair at once; beyond SMALL, once per distinct
    onset time - a hundred thousand notes struck at one instant cost one look over them,
    not one each (that was quadratic: 44 s)."""
    if len(times) <= SMALL:  # a live window: every pair at once, no bookkeeping
        at, pitch = times[:, None], pitches.astype(np.float64)
        on = (times <= at + CHORD_SECONDS) & (ends > at) & (times >= at - HELD_SECONDS)
        top = np.where(on, pitch, -np.inf).max(axis=1, initial=-np.inf)
        bottom = np.where(on, pitch, np.inf).min(axis=1, initial=np.inf)
        return np.maximum(pitch, top), np.minimum(pitch, bottom)
    instants, each = np.unique(times, return_inverse=True)
    top = np.full(len(instants), -np.inf)
    bottom = np.full(len(instants), np.inf)
    candidates = pitches.astype(np.float64)
    for rows in even_slices(len(instants), max(1, len(instants) // 256)):
        at = instants[rows, None]
        lo = int(np.searchsorted(times, instants[rows.start] - HELD_SECONDS))
        hi = int(np.searchsorted(times, instants[rows.stop - 1] + CHORD_SECONDS, side="right"))
        on = (times[None, lo:hi] <= at + CHORD_SECONDS) & (ends[None, lo:hi] > at) \
            & (times[None, lo:hi] >= at - HELD_SECONDS)
        pitch = np.broadcast_to(candidates[None, lo:hi], on.shape)
        top[rows] = np.where(on, pitch, -np.inf).max(axis=1, initial=-np.inf)
        bottom[rows] = np.where(on, pitch, np.inf).min(axis=1, initial=np.inf)
    return np.maximum(candidates, top[each]), np.minimum(candidates, bottom[each])


def _voicing(first: np.ndarray, pitches: np.ndarray) -> tuple[np.ndarray, ...]:
    """Chord size and each note's rank from the top and from the bottom of its chord."""
    size = np.bincount(first)[first]  # `first` is each chord's first index: its group
    by_pitch = np.lexsort((-pitches, first))  # within a chord, highest first
    rank_top = np.empty(len(pitches), dtype=np.int64)
    starts = np.searchsorted(first[by_pitch], first[by_pitch])
    rank_top[by_pitch] = np.arange(len(pitches)) - starts
    return size, rank_top, size - 1 - rank_top


def heard_accents(accents: np.ndarray) -> np.ndarray:
    """The user's accents (velocity steps above their level) as a style hears them: up to
    ACCENT_LIMIT either way, so that a ghost-note part's hits, 80 above its level, read as
    the loudest accents training showed it rather than as values it never saw."""
    return np.clip(np.asarray(accents, dtype=np.float64), -ACCENT_LIMIT, ACCENT_LIMIT)


def heard_position(position: np.ndarray, beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each note's place in the bar (beats) and in its beat, on a grid of METER_GRID per
    beat: a note drawn on the grid and played through JACK arrives a few milliseconds off
    it, and heard exactly it was no longer on the beat - a drum's velocity moved by up to
    25 steps on 3 ms of jitter. A note played between grid points moves by at most half a
    point (5 ms at 120 bpm)."""
    snapped = np.round(np.asarray(position, dtype=np.float64) * METER_GRID) / METER_GRID
    snapped = np.where(snapped >= np.maximum(beats, 1), 0.0, snapped)  # onto the next bar
    return snapped, snapped % 1.0


def inputs(version: int) -> int:
    """How many features a style of this encoding version takes."""
    return V2_INPUTS if version == 2 else INPUTS


def encode_notes(times: np.ndarray, ends: np.ndarray, pitches: np.ndarray,
                 accents: np.ndarray, meter: Meter, horizon: float = np.inf,
                 drums: bool = False, version: int = ENCODING_VERSION,
                 first: np.ndarray | None = None) -> np.ndarray:
    """The features (len(times), inputs(version)) of notes sorted by onset, heard up to
    `horizon`, in the notes' order (the model takes them in `step_order`). `accents` are
    the input velocities less their local level (velocity steps): 0 for a flat part.
    `first`: the notes' `chords`, where the caller has them for step_order too."""
    count = len(times)
    x = np.zeros((count, INPUTS), dtype=np.float32)
    if not count:
        return x[:, :inputs(version)]
    times = np.asarray(times, dtype=np.float64)
    if times[-1] > horizon:
        raise ValueError("a window holds no note that starts after the horizon")
    pitches = np.asarray(pitches, dtype=np.int64)
    heard_end = np.minimum(np.asarray(ends, dtype=np.float64), horizon)
    first = chords(times) if first is None else first
    size, rank_top, rank_bottom = _voicing(first, pitches)
    high, low = _sounding(times, heard_end, pitches)
    onsets = times[first]
    chord_onsets = times[first == np.arange(count)]  # distinct: a chord starts 35 ms on
    at = np.searchsorted(chord_onsets, onsets)
    before = np.where(at > 0, onsets - chord_onsets[np.maximum(at - 1, 0)], LONGEST)
    unheard = at + 1 >= len(chord_onsets)
    after = np.where(unheard, np.minimum(horizon - onsets, LONGEST),
                     chord_onsets[np.minimum(at + 1, len(chord_onsets) - 1)] - onsets)
    past = np.searchsorted(times, onsets) - np.searchsorted(times, onsets - 1.0 - EDGE)
    ahead = np.searchsorted(times, np.minimum(onsets + 0.25 + EDGE, horizon), side="right") \
        - np.searchsorted(times, onsets + CHORD_SECONDS, side="right")
    cumulative = np.concatenate([[0.0], np.cumsum(pitches)])
    lo, hi = np.searchsorted(times, times - 2.0), np.searchsorted(times, onsets
                                                                   + CHORD_SECONDS, "right")
    register = (cumulative[hi] - cumulative[lo]) / np.maximum(hi - lo, 1)
    columns = {
        "present": 1.0, "pitch": (pitches - 60) / 24, "duration": _log_seconds(heard_end - times),
        "still_sounding": np.asarray(ends) > horizon, "chord_size": np.log2(size) / 3,
        "rank_top": np.minimum(rank_top, 6) / 6, "rank_bottom": np.minimum(rank_bottom, 6) / 6,
        "is_top": rank_top == 0, "is_bottom": rank_bottom == 0, "above": (high - pitches) / 24,
        "below": (pitches - low) / 24, "interval_before": _log_seconds(before),
        "interval_after": _log_seconds(after), "next_unheard": unheard,
        "density_before": past / 8, "density_after": ahead / 4,
        "register": (register - 60) / 24,
        "accent": heard_accents(accents) / DEVIATION_SCALE,
    }
    known = meter.known > 0
    position, phase = heard_position(meter.position, meter.beats)
    turn, bar = 2 * np.pi * phase, 2 * np.pi * position / np.maximum(meter.beats, 1)
    columns.update({
        "meter_known": known, "phase_sin": np.sin(turn) * known, "phase_cos": np.cos(turn) * known,
        "bar_sin": np.sin(bar) * known, "bar_cos": np.cos(bar) * known,
        "downbeat": known & (position < 1e-3), "on_beat": known & (phase < 1e-3),
    })
    for name, value in columns.items():
        x[:, COLUMN[name]] = value
    if drums:
        x[np.arange(count), KIT_COLUMN[pitches]] = 1
        stroke = STROKE_COLUMN[pitches]
        rows = np.flatnonzero(stroke >= 0)
        x[rows, stroke[rows]] = 1
    return x[:, :inputs(version)]


def _kit_columns() -> tuple[np.ndarray, np.ndarray]:
    """For each MIDI note: the column of its kit class, and of its stroke (-1: none)."""
    kit, stroke = np.empty(128, dtype=np.int64), np.full(128, -1, dtype=np.int64)
    for pitch in range(128):
        name = drumkit.class_of(pitch)
        kit[pitch] = COLUMN["kit_other" if name == "other" else f"kit_{name.replace(' ', '_')}"]
        stroke[pitch] = COLUMN.get(f"stroke_{pitch}", -1)
    return kit, stroke


KIT_COLUMN, STROKE_COLUMN = _kit_columns()  # a window's drums: a lookup, not a loop


def without(steps: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """`steps` with the features of `groups` (GROUPS) zeroed, as a model trained without
    them hears every note: the meter's zeros are "meter unknown"."""
    columns = [COLUMN[name] for group in groups for name in GROUPS[group]]
    steps[..., columns] = 0.0
    return steps
