"""Running a frame style (encoding `pianoroll88`, contract 1-2): notes -> frames -> model ->
results, the older family beside humanizer.note_engine, behind the same Engine.

The same two ways as the note-level family:
- whole-file context: the part cut into long chunks, each holding the model's context on
  both sides of its notes, so results do not depend on where a chunk starts;
- a lookahead window (humanizer.windows): the frames of the notes heard by its horizon,
  each due note re-centred on the notes of its own part the window heard, around the
  level of that part's velocities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from humanizer import encoding, levels
from humanizer.centres import Centre
from humanizer.prediction import Prediction, calibrated
from humanizer.windows import Frames, Texture, Window, windows_of

CHUNK_SECONDS = 60.0  # core of a whole-file chunk; each side gets the model's context more
CHUNK_BATCH = 16  # whole-file chunks of one length run together in one call
WINDOW_BATCH = 64  # lookahead windows run together in one call


def sounding_frames(onsets: np.ndarray, offs: np.ndarray, keys: np.ndarray, first: int,
                    count: int) -> np.ndarray:
    """Frames [first, first + count) of the notes sounding in them (sorted by onset)."""
    upper = int(np.searchsorted(onsets, first + count, side="left"))
    sounding = np.nonzero(offs[:upper] > first)[0]
    return encoding.encode_spans(onsets[sounding], offs[sounding], keys[sounding], first,
                                 count)


def raw_whole(engine, texture: Texture) -> tuple[np.ndarray, np.ndarray]:
    """Each note's raw deviation and onset offset (model units) from whole-file chunks."""
    fps = engine.fps
    onsets = encoding.frame_index(texture.times, fps)
    offs = np.maximum(encoding.frame_index(texture.ends, fps), onsets + 1)
    keys = texture.keys
    core = int(CHUNK_SECONDS * fps)
    margin = int(np.ceil(engine.contract.context_seconds * fps))
    raw, raw_offsets = np.empty(len(onsets)), np.zeros(len(onsets))
    chunks: dict[int, list[tuple[int, slice]]] = {}  # length -> (first frame, notes)
    for core_start in np.unique(onsets // core) * core:  # only chunks that have onsets
        inside = slice(int(np.searchsorted(onsets, core_start)),
                       int(np.searchsorted(onsets, core_start + core)))
        # a chunk spans its own notes and the context around them, never more: a
        # sparse file (notes hours apart) costs what its notes cost
        first = max(0, int(onsets[inside].min()) - margin)
        end = int(min(offs[inside].max(), core_start + core)) + margin
        chunks.setdefault(end - first, []).append((first, inside))
    for length, same in chunks.items():  # chunks of one length run together
        for batch in range(0, len(same), CHUNK_BATCH):
            group = same[batch:batch + CHUNK_BATCH]
            frames = np.stack([sounding_frames(onsets, offs, keys, first, length)
                               for first, _ in group])
            output, offsets = engine.run_heads(frames)
            for row, (first, inside) in enumerate(group):
                cells = row, onsets[inside] - first, keys[inside]
                raw[inside] = output[cells]
                if offsets is not None:
                    raw_offsets[inside] = offsets[cells]
    return raw, raw_offsets


def predict_whole(engine, texture: Texture, answer: Prediction) -> None:
    """Whole-file context: every note's result into `answer`, each part (owner) around
    its own level and centre."""
    contract, sigma = engine.contract, engine.contract.level_seconds
    raw, raw_offsets = raw_whole(engine, texture)
    for owner in np.unique(texture.owners):  # each part: its own level and centre
        mine = texture.owners == owner
        at = texture.times[mine]
        deviations = raw[mine].astype(np.float64) * contract.deviation_scale
        offsets = raw_offsets[mine]
        centred = levels.recentred(at, deviations, at, deviations, sigma)
        answer.put(mine, calibrated(contract,
                                    levels.local_mean(at, texture.velocities[mine], at, sigma),
                                    centred, levels.local_spread(at, centred, at, sigma),
                                    levels.recentred(at, offsets, at, offsets, sigma),
                                    deviations, offsets))


def predict_windows(engine, groups: Sequence[tuple[Texture, np.ndarray]], lookahead: float,
                    answers: list[Prediction],
                    earlier: Sequence[Mapping[int, Centre] | None]) -> None:
    """Results for the notes `wanted` of each (texture, wanted) into `answers`, from
    lookahead windows run together (a frame style centres each window on itself: the
    parts' running centres `earlier` are the note-level family's)."""
    windows = []
    for number, (texture, wanted) in enumerate(groups):
        if len(wanted):
            windows += [(number, window) for window in
                        windows_of(texture, wanted, lookahead, engine.fps)]
    framing = Frames.of(engine.fps, engine.contract.context_seconds, lookahead)
    for first in range(0, len(windows), WINDOW_BATCH):
        batch = windows[first:first + WINDOW_BATCH]
        raw, raw_offsets = engine.run_heads(framing.encode([w for _, w in batch]))
        for row, (number, window) in enumerate(batch):
            finish(engine, window, framing,
                   raw[row].astype(np.float64) * engine.contract.deviation_scale,
                   None if raw_offsets is None else raw_offsets[row], answers[number])


def finish(engine, window: Window, framing: Frames, output: np.ndarray,
           raw_offsets: np.ndarray | None, answer: Prediction) -> None:
    """The window's notes' results into `answer`: each note re-centred on the notes of
    its own part the window heard, around the level of that part's velocities."""
    part, sigma = window.part, engine.contract.level_seconds
    seen = framing.heard(window)
    due, at = window.due, part.times[window.due]
    cells = framing.index(part.times[seen], window.anchor), part.keys[seen]
    own = framing.index(at, window.anchor), part.keys[due]
    heard, mine = output[cells], output[own]
    shifts = np.zeros(len(seen)) if raw_offsets is None else raw_offsets[cells]
    own_shifts = np.zeros(len(due)) if raw_offsets is None else raw_offsets[own]
    mean, square, shift = levels.same_part_means(
        part.times[seen], part.owners[seen], at, part.owners[due],
        [heard, heard * heard, shifts], [mine, mine * mine, own_shifts], sigma)
    with np.errstate(invalid="ignore"):  # a broken model's inf stays non-finite
        deviations, offsets = mine - mean, own_shifts - shift
    spreads = levels.spread(mean, square)
    hi = int(np.searchsorted(part.times, window.horizon, side="right"))
    near = np.arange(int(np.searchsorted(part.times, at.min() - 3 * sigma)), hi)
    [level] = levels.same_part_means(part.times[near], part.owners[near], at,
                                     part.owners[due], [part.velocities[near]],
                                     [part.velocities[due]], sigma)
    answer.put(window.slots, calibrated(engine.contract, level, deviations, spreads, offsets,
                                        mine, own_shifts))


def live_input(engine, texture: Texture, due: int, lookahead: float) -> np.ndarray:
    """The model's input (1, frames, 176) for the live window that predicts note `due` of
    `texture`, as the daemon builds it (for timing the model alone)."""
    [window] = windows_of(texture, np.array([due]), lookahead, engine.fps)
    return Frames.of(engine.fps, engine.contract.context_seconds, lookahead).encode([window])
