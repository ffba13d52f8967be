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
from humanizer.levels import ranges
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
    return np.array(first_in_span(times.tolist(), CHORD_SECONDS), dtype=np.int64)


def first_in_span(times: list[float], span: float, start: int = 0) -> list[int]:
    """For each of `times` (sorted; Python floats: a window's loop, 5x faster than over
    numpy's), the index - counted from `start` - of the first of its group: a group opens
    at a time and holds every later one within `span` of it. The one greedy rule that
    chords (CHORD_SECONDS) and the live windows (a frame, humanizer.windows) group by."""
    first, anchor, opened = [], start, times[0] if times else 0.0
    for i, time in enumerate(times, start):
        if time - opened >= span:
            anchor, opened = i, time
        first.append(anchor)
    return first


def step_order(times: np.ndarray, pitches: np.ndarray,
               first: np.ndarray | None = None) -> np.ndarray:
    """The order of the steps: by chord, then pitch - never by which note of a chord
    arrived a microsecond first. `first`: the notes' `chords`, where already known."""
    return np.lexsort((pitches, chords(times) if first is None else first))


def _log_seconds(seconds: np.ndarray) -> np.ndarray:
    """log2 of a duration in seconds, 0 at a quarter second, about -1..1 for 1/32 s..4 s."""
    return np.log2(np.minimum(np.maximum(seconds, 1 / 32), LONGEST) / 0.25) / 4


def window_rows(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For windows holding the part's notes lo[w]..hi[w]-1, their rows one window after
    another: (each row's note, each row's window, each window's first row)."""
    window, index = ranges(lo, hi - lo)
    return index, window, np.cumsum(hi - lo) - (hi - lo)


def window_chords(times: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """`chords` of each window's notes (times[lo[w]:hi[w]], sorted), as note indices, for
    the rows `window_rows` gives: the part's chords once, and a window that begins inside
    one of them anchored from its own first note until it meets the part's anchoring (from
    a shared anchor on, the two are the same)."""
    base = int(lo.min())
    part = chords(np.asarray(times[base:int(hi.max())], dtype=np.float64)) + base
    index, _, starts = window_rows(lo, hi)
    first = part[index - base]
    for number in np.flatnonzero(part[lo - base] != lo):
        anchor, opened = int(lo[number]), float(times[lo[number]])
        for i in range(anchor, int(hi[number])):
            time = float(times[i])
            if time - opened >= CHORD_SECONDS:
                anchor, opened = i, time
            if part[i - base] == anchor:
                break
            first[starts[number] + i - lo[number]] = anchor
    return first


def _runs(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows in runs of equal `keys`: each row's run, and each run's first row."""
    new = np.ones(len(keys[0]), dtype=bool)
    same = np.ones(len(new) - 1, dtype=bool)
    for key in keys:
        same &= key[1:] == key[:-1]
    new[1:] = ~same
    return np.cumsum(new) - 1, np.flatnonzero(new)


def _voicing(run: np.ndarray, run_start: np.ndarray, pitches: np.ndarray
             ) -> tuple[np.ndarray, ...]:
    """Chord size and each note's rank from the top and from the bottom of its chord (the
    rows of a chord are one `run`)."""
    size = np.bincount(run)[run]
    by_pitch = np.lexsort((-pitches, run))  # within a chord, highest first
    rank_top = np.empty(len(pitches), dtype=np.int64)
    rank_top[by_pitch] = np.arange(len(pitches)) - run_start[run[by_pitch]]
    return size, rank_top, size - 1 - rank_top


SLACK = 1e-6  # seconds: a search reaches this far beyond its bounds; the exact test decides


def _sounding(times: np.ndarray, heard_end: np.ndarray, pitches: np.ndarray,
              index: np.ndarray, window: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The highest and lowest pitch sounding at each row's onset (its own chord included)
    among its window's notes: those started from HELD_SECONDS before it to CHORD_SECONDS
    after and not ended (as heard) by then. Each note is looked at for the instants it
    sounds over, and each distinct instant of a window once: a hundred thousand notes
    struck at one instant cost one look each (pair by pair that was quadratic: 44 s).
    `times` are the part's, the rest the rows'."""
    at = times[index]
    new = np.ones(len(at), dtype=bool)
    new[1:] = (at[1:] != at[:-1]) | (window[1:] != window[:-1])
    instant = np.cumsum(new) - 1
    instant_times = at[new]
    low_edge, high_edge = lo[window], hi[window]
    first = np.clip(np.searchsorted(times, at - CHORD_SECONDS - SLACK), low_edge, high_edge)
    last = np.clip(np.minimum(np.searchsorted(times, heard_end),
                              np.searchsorted(times, at + HELD_SECONDS + SLACK, "right")),
                   first, high_edge)
    base = starts[window] - low_edge  # a note index of this row's window -> its row
    rows = np.flatnonzero(last > first)
    begin, end = instant[first[rows] + base[rows]], instant[last[rows] - 1 + base[rows]] + 1
    which, covered = ranges(begin, end - begin)
    sounding = rows[which]
    then = instant_times[covered]
    on = (at[sounding] <= then + CHORD_SECONDS) & (heard_end[sounding] > then) \
        & (at[sounding] >= then - HELD_SECONDS)
    pitch = pitches.astype(np.float64)
    top = np.full(len(instant_times), -np.inf)
    bottom = np.full(len(instant_times), np.inf)
    np.maximum.at(top, covered[on], pitch[sounding[on]])
    np.minimum.at(bottom, covered[on], pitch[sounding[on]])
    return np.maximum(pitch, top[instant]), np.minimum(pitch, bottom[instant])


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
    whole = np.array([0]), np.array([len(times)])
    return encode_windows(times, ends, pitches, accents, meter, *whole,
                          np.array([horizon], dtype=np.float64), drums, version, first)


def encode_windows(times: np.ndarray, ends: np.ndarray, pitches: np.ndarray,
                   accents: np.ndarray, meter: Meter, lo: np.ndarray, hi: np.ndarray,
                   horizons: np.ndarray, drums: bool = False,
                   version: int = ENCODING_VERSION,
                   first: np.ndarray | None = None) -> np.ndarray:
    """`encode_notes` of many windows of one part at once: window w holds the part's notes
    lo[w]..hi[w]-1 (`times` sorted; `ends`, `pitches` and `meter` the part's) heard up to
    horizons[w], each as if it were all there is. Its rows come one window after another
    (`window_rows`), with their `accents` and, where the caller has them,
    `window_chords`. Every search is made once in the part and kept within the window, so
    a thousand windows cost a few numpy calls, not a few thousand (offline --latency builds
    a window for nearly every note)."""
    index, window, starts = window_rows(lo, hi)
    count = len(index)
    x = np.zeros((count, INPUTS), dtype=np.float32)
    if not count:
        return x[:, :inputs(version)]
    times = np.asarray(times, dtype=np.float64)
    if (times[hi - 1] > horizons).any():
        raise ValueError("a window holds no note that starts after the horizon")
    horizon = horizons[window]
    part_pitches = np.asarray(pitches, dtype=np.int64)
    at, pitches = times[index], part_pitches[index]
    ends = np.asarray(ends, dtype=np.float64)[index]
    heard_end = np.minimum(ends, horizon)
    first = window_chords(times, lo, hi) if first is None else first
    run, run_start = _runs(first, window)
    size, rank_top, rank_bottom = _voicing(run, run_start, pitches)
    high, low = _sounding(times, heard_end, pitches, index, window, lo, hi, starts)
    onsets = times[first]
    chord_row = run_start[run]  # the row of the chord's first note, and of the next chord's
    before = np.where(chord_row > starts[window], onsets - onsets[np.maximum(chord_row - 1, 0)],
                      LONGEST)
    following = chord_row + size
    unheard = following >= starts[window] + (hi - lo)[window]
    after = np.where(unheard, np.minimum(horizon - onsets, LONGEST),
                     onsets[np.minimum(following, count - 1)] - onsets)
    low_edge, high_edge = lo[window], hi[window]

    def within(found: np.ndarray) -> np.ndarray:  # a search in the part, kept in the window
        return np.minimum(np.maximum(found, low_edge), high_edge)

    past = within(np.searchsorted(times, onsets)) \
        - within(np.searchsorted(times, onsets - 1.0 - EDGE))
    ahead = within(np.searchsorted(times, np.minimum(onsets + 0.25 + EDGE, horizon), "right")) \
        - within(np.searchsorted(times, onsets + CHORD_SECONDS, "right"))
    span = slice(int(lo.min()), int(hi.max()))
    cumulative = np.concatenate([[0.0], np.cumsum(part_pitches[span])])
    reach = within(np.searchsorted(times, at - 2.0)), \
        within(np.searchsorted(times, onsets + CHORD_SECONDS, "right"))
    register = (cumulative[reach[1] - span.start] - cumulative[reach[0] - span.start]) \
        / np.maximum(reach[1] - reach[0], 1)
    columns = {
        "present": 1.0, "pitch": (pitches - 60) / 24, "duration": _log_seconds(heard_end - at),
        "still_sounding": ends > horizon, "chord_size": np.log2(size) / 3,
        "rank_top": np.minimum(rank_top, 6) / 6, "rank_bottom": np.minimum(rank_bottom, 6) / 6,
        "is_top": rank_top == 0, "is_bottom": rank_bottom == 0, "above": (high - pitches) / 24,
        "below": (pitches - low) / 24, "interval_before": _log_seconds(before),
        "interval_after": _log_seconds(after), "next_unheard": unheard,
        "density_before": past / 8, "density_after": ahead / 4,
        "register": (register - 60) / 24,
        "accent": heard_accents(accents) / DEVIATION_SCALE,
    }
    meter = meter[index]
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
