"""Running a note-level style (humanizer.notefeatures): notes -> steps -> model -> results.

The same two ways as the frame engine, one code path each:
- whole-file context: the part's notes as steps in long overlapping chunks;
- a lookahead window (live, and offline --latency): the notes heard from the model's
  context before the window's anchor up to its horizon (humanizer.windows), at most
  MAX_STEPS of them, cut at the horizon as the daemon knows them. Windows of the same
  length run together in one batch, never padded: what a window gives does not depend on
  which others it ran with (a BiLSTM's state after padding is not its state before).

Each note's accent input is measured from its own part's level, and what the style adds
to it is re-centred on what it added to its own part's notes: the part keeps its level
and the user's accents are heard as the user drew them (up to notefeatures.ACCENT_LIMIT)
and kept whole: the style's gain scales only what it adds to what it heard
(prediction.calibrated), and the centre takes out nothing the user drew.

Whole-file, a note is centred on its part's notes around it. In a lookahead window it is
centred on the running centre of what its part's notes got (added, and their onset
offsets) when each was due (humanizer.centres), not on the window's own: centred on the
window, a band at piano 80 / bass 60 / pad 35 came out at 63 / 47 / 25 at 0 ms and 80 /
61 / 39 at 500 ms, and its drums 3-4 ms off their place at 0 and 250 ms.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from humanizer import drumkit, levels, notefeatures
from humanizer.centres import Centre, running_means
from humanizer.contract import Contract
from humanizer.notes import LOWEST_KEY
from humanizer.prediction import calibrated
from humanizer.windows import Texture, Window, windows_of

MAX_STEPS = 256  # the most notes a live window holds (a flood of notes costs no more)
CHUNK_STEPS = 2048  # whole-file chunks of steps, overlapping by CHUNK_MARGIN on each side
CHUNK_MARGIN = 256
# whole-file chunks run together in one call: all of a 1M-note part's 650 chunks in one run
# held 5 GB (16: 1.6 GB, and faster)
CHUNK_BATCH = 16
WINDOW_BATCH = 64
# lookahead windows whose steps are built before they run: all of a 100k-note file's at
# once took 2.78 GB (26 KB a note); a chunk at a time keeps it to the chunk's
BUILT_AT_ONCE = 2048
# notes of the windows encoded in one call: enough that a hundred numpy calls are shared
# by a dozen windows, few enough that their pairs stay a few MB (2048 windows of a dense
# 16-channel stream in one call took the live daemon from 136 to 199 MB in a soak)
ROWS_AT_ONCE = 4096


def steps_of(part: Texture, seen: np.ndarray, horizon: float, level_seconds: float,
             drums: bool, version: int = notefeatures.ENCODING_VERSION,
             without: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps in step order, the part index of each step, the notes' levels): the notes
    `seen` (consecutive indices into the part) as heard at `horizon` in encoding
    `version`, with the feature groups a style was trained `without` zeroed."""
    [built] = window_steps(part, np.array([seen[0]]), np.array([seen[-1] + 1]),
                           np.array([horizon], dtype=np.float64), level_seconds, drums,
                           version, without)
    return built


def window_steps(part: Texture, lo: np.ndarray, hi: np.ndarray, horizons: np.ndarray,
                 level_seconds: float, drums: bool,
                 version: int = notefeatures.ENCODING_VERSION, without: Sequence[str] = ()
                 ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`steps_of` for many windows of one part at once (window w: the notes lo[w]..hi[w]-1
    heard at horizons[w]): the notes' features in one call (notefeatures.encode_windows),
    each window's input level its own."""
    index, window, starts = notefeatures.window_rows(lo, hi)
    level = np.empty(len(index))
    heard = part.heard_levels
    reach = slice(int(np.searchsorted(heard.times, part.times[lo.min()] - 3 * level_seconds)),
                  int(np.searchsorted(heard.times, horizons.max(), side="right")))
    flat = heard.velocities[reach]
    if part.level_notes is None and len(flat) and flat.min() == flat.max():
        level.fill(flat[0])  # a part drawn flat (the DAW case) is its level in every window
    else:
        for number, (first, last, horizon) in enumerate(zip(lo, hi, horizons)):
            times = part.times[first:last]
            near = slice(int(np.searchsorted(heard.times, times[0] - 3 * level_seconds)),
                         int(np.searchsorted(heard.times, horizon, side="right")))
            level[starts[number]:starts[number] + last - first] = levels.own_levels(
                heard.times[near], heard.owners[near], heard.velocities[near], times,
                part.owners[first:last], part.velocities[first:last], level_seconds)
    first = notefeatures.window_chords(part.times, lo, hi)
    steps = notefeatures.encode_windows(part.times, part.ends, part.keys + LOWEST_KEY,
                                        part.velocities[index] - level, part.meter, lo, hi,
                                        horizons, drums, version, first)
    if without:
        steps = notefeatures.without(steps, without)
    order = np.lexsort((part.keys[index], first, window))  # by window, chord, then pitch
    built = []
    for number, begin in enumerate(starts):
        rows = order[begin:begin + hi[number] - lo[number]]
        built.append((steps[rows], index[rows], level[begin:begin + hi[number] - lo[number]]))
    return built


def hearing(contract: Contract) -> tuple[float, bool, int, list[str]]:
    """What steps_of needs to know of a style to give it the steps it was trained on."""
    return (contract.level_seconds, contract.instrument == "drums", contract.encoding_version,
            contract.without)


def balanced(contract: Contract, deviations: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The model's deviations (velocity steps, before the gain) with each kit piece moved
    by the drums' piece offsets (contract.piece_offsets; none for other styles): an
    MAE-trained model pulls the rarer pieces - toms, crashes, the ride - toward the kit's
    middle, where the drummers play them 10-20 steps above it."""
    if not contract.piece_offsets:
        return deviations
    return deviations + piece_table(tuple(sorted(contract.piece_offsets.items())))[keys]


@functools.lru_cache(maxsize=8)
def piece_table(offsets: tuple[tuple[str, float], ...]) -> np.ndarray:
    """Each of the 88 keys' piece offset, made once per style (a window asked for it
    every time: a tenth of a --latency run's Python)."""
    by_class = dict(offsets)
    table = np.array([by_class.get(drumkit.class_of(key + LOWEST_KEY), 0.0)
                      for key in range(88)])
    table.flags.writeable = False  # shared by every caller
    return table


def window_notes(part: Texture, window: Window, context_seconds: float) -> np.ndarray:
    """The notes a window holds: from its context before the anchor to its horizon, the
    latest MAX_STEPS of them (never fewer than its own notes)."""
    return np.arange(*window_span(part, window, context_seconds))


def window_span(part: Texture, window: Window, context_seconds: float) -> tuple[int, int]:
    """(first, end) of the notes `window_notes` gives."""
    lo = int(np.searchsorted(part.times, window.anchor - context_seconds, side="left"))
    hi = int(np.searchsorted(part.times, window.horizon, side="right"))
    return min(max(lo, hi - MAX_STEPS), int(window.due.min())), hi


def predict_windows(engine, groups: Sequence[tuple[Texture, np.ndarray]], lookahead: float,
                    answers: list, earlier: Sequence[Mapping[int, Centre] | None]) -> None:
    """Results for the notes `wanted` of each (part, wanted) into `answers` (Predictions,
    one per group), from lookahead windows run together, each group's notes centred on
    the running centre of their own and their parts' earlier notes (`earlier`: each
    part's centre before them; None: no notes came before)."""
    contract = engine.contract
    jobs = []
    for number, (part, wanted) in enumerate(groups):
        if len(wanted):
            jobs += [(number, window) for window in
                     windows_of(part, wanted, lookahead, contract.fps)]
    for start in range(0, len(jobs), BUILT_AT_ONCE):  # memory: a chunk's steps at a time
        chunk = jobs[start:start + BUILT_AT_ONCE]
        built, together = [], []  # the steps; (group, windows) built and finished together
        for number, same in itertools.groupby(chunk, key=lambda job: job[0]):  # a part's
            windows = [window for _, window in same]
            spans = np.array([window_span(window.part, window, contract.context_seconds)
                              for window in windows]).reshape(-1, 2)
            horizons = np.array([window.horizon for window in windows])
            for rows in levels.batches(spans[:, 1] - spans[:, 0], ROWS_AT_ONCE):
                together.append((number, len(built), windows[rows]))
                built += window_steps(windows[0].part, spans[rows, 0], spans[rows, 1],
                                      horizons[rows], *hearing(contract))
        by_length: dict[int, list[int]] = {}
        for index, (steps, _, _) in enumerate(built):
            by_length.setdefault(len(steps), []).append(index)
        outs: list[np.ndarray] = [np.empty(0)] * len(built)
        for same in by_length.values():  # windows of one length run together, unpadded
            for first in range(0, len(same), WINDOW_BATCH):
                batch = same[first:first + WINDOW_BATCH]
                outputs = engine.run_steps(np.stack([built[i][0] for i in batch]))
                for row, index in enumerate(batch):
                    outs[index] = outputs[row]
        for number, begin, windows in together:
            end = begin + len(windows)
            finish(engine, windows, built[begin:end], outs[begin:end], answers[number])
    for (part, wanted), answer, before in zip(groups, answers, earlier):
        if len(wanted):
            centre(engine, part, wanted, answer, before)


def finish(engine, windows: Sequence[Window], built: Sequence[tuple], outs: Sequence[np.ndarray],
           answer) -> None:
    """The due notes' results of windows of one part (their steps `built` by window_steps
    and the model's `outs`, both in step order), their deviations and onset offsets not yet
    centred (`centre` does that once all their part's due notes are in), around the level
    of that part's input velocities (as window_steps measured them for the accents); their
    spread measured on their own part's notes in their window. All windows at once."""
    part, contract = windows[0].part, engine.contract
    orders = [np.argsort(notes) for _, notes, _ in built]  # each window's notes in time
    if len(built) == 1:  # a live window: nothing to join
        seen, level = built[0][1][orders[0]], built[0][2]
        out = outs[0][orders[0]].astype(np.float64)
    else:
        seen = np.concatenate([notes[order] for (_, notes, _), order in zip(built, orders)])
        out = np.concatenate([rows[order] for rows, order in zip(outs, orders)]).astype(
            np.float64)
        level = np.concatenate([levels_of for _, _, levels_of in built])
    sizes = np.array([len(order) for order in orders])
    starts = np.cumsum(sizes) - sizes
    firsts = np.array([notes.min() for _, notes, _ in built])  # each window's first note
    due = np.concatenate([starts[number] + window.due - firsts[number]
                          for number, window in enumerate(windows)])  # rows of due notes
    deviations = balanced(contract, out[:, 0] * contract.deviation_scale, part.keys[seen])
    offsets = out[:, 2] if out.shape[1] > 2 else np.zeros(len(seen))
    lengths = out[:, 3] if out.shape[1] > 3 else np.zeros(len(seen))
    window = np.repeat(np.arange(len(windows)), [len(w.due) for w in windows])
    lo = firsts[window]
    mean, square = levels.window_means(part.times, part.owners, seen[due], lo,
                                       lo + sizes[window], starts[window],
                                       [deviations, deviations**2], contract.level_seconds)
    spreads = levels.spread(mean, square)
    with np.errstate(invalid="ignore"):
        drawn = part.velocities[seen[due]] - level[due]
        result = calibrated(contract, level[due], deviations[due], spreads, offsets[due],
                            deviations[due], offsets[due], out[due, 1], drawn,
                            notefeatures.heard_accents(drawn), lengths[due])
    answer.put(np.concatenate([window.slots for window in windows]), result)


def centre(engine, part: Texture, wanted: np.ndarray, answer,
           earlier: Mapping[int, Centre] | None) -> None:
    """Centre what the style added to the due notes and their onset offsets (the notes
    `wanted` of `part`, `finish`ed into `answer`) on their parts' running centre up to
    them (humanizer.centres), continued from the parts' centres `earlier`. The mean added
    is taken off as the gain scales it (prediction.calibrated scales what the style adds to the
    accents heard by the gain)."""
    order = np.argsort(part.times[wanted], kind="stable")
    means, offset_means, _ = running_means(
        part.times[wanted][order], part.owners[wanted][order], answer.added[order],
        answer.uncentred_offsets[order], earlier or {})
    answer.deviations[order] -= engine.contract.gain * means
    answer.offsets[order] -= offset_means


def predict_whole(engine, part: Texture, answer) -> None:
    """Whole-file context: every note heard with the whole part around it, the steps run
    in chunks of CHUNK_STEPS that overlap by CHUNK_MARGIN (each note's result comes from
    the chunk it is in the core of)."""
    contract = engine.contract
    steps, seen, level = steps_of(part, np.arange(len(part.times)), np.inf,
                                   *hearing(contract))
    core = CHUNK_STEPS - 2 * CHUNK_MARGIN
    by_length: dict[int, list[tuple[int, int, int]]] = {}  # length -> (lo, core start, end)
    for start in range(0, len(steps), core):
        lo, hi = max(0, start - CHUNK_MARGIN), min(len(steps), start + core + CHUNK_MARGIN)
        by_length.setdefault(hi - lo, []).append((lo, start, min(start + core, len(steps))))
    out: np.ndarray | None = None
    for length, same in by_length.items():
        for first in range(0, len(same), CHUNK_BATCH):  # a 1M-note part: not one huge run
            batch = same[first:first + CHUNK_BATCH]
            result = engine.run_steps(np.stack([steps[lo:lo + length] for lo, _, _ in batch]))
            if out is None:
                out = np.zeros((len(steps), result.shape[2]))
            for row, (lo, start, end) in enumerate(batch):
                out[start:end] = result[row, start - lo:end - lo]
    out = out[np.argsort(seen)]
    deviations = balanced(contract, out[:, 0] * contract.deviation_scale, part.keys)
    offsets = out[:, 2] if out.shape[1] > 2 else np.zeros(len(seen))
    lengths = out[:, 3] if out.shape[1] > 3 else np.zeros(len(seen))
    times, owners, sigma = part.times, part.owners, contract.level_seconds
    drawn = part.velocities - level
    heard = notefeatures.heard_accents(drawn)
    mean, square, shift, mean_added = levels.part_means(
        times, owners, [deviations, deviations**2, offsets, deviations - heard], sigma)
    spreads = levels.spread(mean, square)
    with np.errstate(invalid="ignore"):
        result = calibrated(engine.contract, level, deviations - mean_added, spreads,
                            offsets - shift, deviations, offsets, out[:, 1], drawn, heard,
                            lengths)
    answer.put(slice(None), result)


def live_input(engine, texture: Texture, due: int, lookahead: float) -> np.ndarray:
    """The model's input (1, steps, features) for the live window that predicts note
    `due` of `texture`, as the daemon builds it (for timing the model alone)."""
    [window] = windows_of(texture, np.array([due]), lookahead, engine.contract.fps)
    seen = window_notes(texture, window, engine.contract.context_seconds)
    steps, _, _ = steps_of(texture, seen, window.horizon, *hearing(engine.contract))
    return steps[None]
