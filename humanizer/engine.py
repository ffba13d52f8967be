"""The ONNX engine: a validated style model that turns notes into human velocities.

Two ways to look at a part, one code path:
- whole-file context (offline default): the part is cut into long overlapping chunks, so
  every note sees at least `context_seconds` on both sides and results do not depend on
  where a chunk starts;
- a fixed lookahead (the live daemon, and offline with --latency): each note is predicted
  from a window that ends `lookahead` after its onset - exactly what the daemon has heard
  when the note is due. Notes with the same onset frame share a window.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from humanizer import encoding
from humanizer.contract import INPUT_NAME, METADATA_KEY, OFFSETS_NAME, OUTPUT_NAME, Contract
from humanizer.errors import HumanizerError
from humanizer.notes import Note

CHUNK_SECONDS = 60.0  # core of a whole-file chunk; each side gets the model's context more
WINDOW_BATCH = 64  # lookahead windows run together in one call
WINDOW_SPAN = 8  # ... and span at most this many window widths of frames


def session_options(threads: int = 1) -> ort.SessionOptions:
    """One thread that does not spin between calls suits the daemon's sporadic inferences."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def read_contract(session: ort.InferenceSession, source: str) -> Contract:
    metadata = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in metadata:
        raise HumanizerError(f"{source}: not a humanizer style model (no contract in its metadata)")
    contract = Contract.from_json(metadata[METADATA_KEY], source)
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if [i.name for i in inputs] != [INPUT_NAME] or OUTPUT_NAME not in [o.name for o in outputs]:
        raise HumanizerError(f"{source}: expected input '{INPUT_NAME}' and output "
                             f"'{OUTPUT_NAME}' as the contract says")
    if inputs[0].shape[-1] != encoding.INPUTS or len(inputs[0].shape) != 3:
        raise HumanizerError(f"{source}: input must be (batch, time, {encoding.INPUTS})")
    if contract.timing and OFFSETS_NAME not in [o.name for o in outputs]:
        raise HumanizerError(f"{source}: the contract promises onset offsets but the model "
                             f"has no output '{OFFSETS_NAME}'")
    for output in outputs:
        if output.name in (OUTPUT_NAME, OFFSETS_NAME) and (
                len(output.shape) != 3 or output.shape[-1] != encoding.KEYS):
            raise HumanizerError(f"{source}: output must be (batch, time, {encoding.KEYS})")
    return contract


@dataclass
class Prediction:
    """Per-note results in velocity steps, in the order of the notes given."""

    levels: np.ndarray  # the input's local level around each note
    deviations: np.ndarray  # the model's re-centred deviation from that level
    offsets: np.ndarray  # onset offsets in seconds (zeros for a model without timing)

    def __getitem__(self, index: np.ndarray) -> Prediction:
        return Prediction(self.levels[index], self.deviations[index], self.offsets[index])


class Engine:
    """A style model loaded in onnxruntime, refused unless its contract is implemented."""

    def __init__(self, path: str | os.PathLike, threads: int = 1):
        self.path = str(path)
        try:
            self.session = ort.InferenceSession(self.path, session_options(threads),
                                                providers=["CPUExecutionProvider"])
        except Exception as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise HumanizerError(f"{path}: not a usable ONNX model ({first_line[:200]})") from None
        self.contract = read_contract(self.session, self.path)
        self.fps = self.contract.fps

    def run(self, frames: np.ndarray) -> np.ndarray:
        """Raw deviations (batch, time, 88) for frames (batch, time, 176)."""
        return self.run_heads(frames)[0]

    def run_heads(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw deviations and, for a model with a timing head, raw onset offsets."""
        names = [OUTPUT_NAME, OFFSETS_NAME] if self.contract.timing else [OUTPUT_NAME]
        outputs = self.session.run(names, {INPUT_NAME: frames.astype(np.float32)})
        return outputs[0], outputs[1] if self.contract.timing else None

    def predict(self, notes: Sequence[Note], lookahead: float | None = None) -> Prediction:
        """Levels and deviations for every note on the keyboard (the order of `notes`).

        lookahead None means whole-file context; otherwise seconds the model may hear after
        each note's onset, as the live daemon does.
        """
        notes = list(notes)
        if not notes:
            return Prediction(np.zeros(0), np.zeros(0), np.zeros(0))
        if any(not note.on_keyboard for note in notes):
            raise ValueError("predict takes only notes on the 88 keys")
        order = np.argsort([note.start for note in notes], kind="stable")
        ordered = [notes[i] for i in order]
        if lookahead is None:
            result = self._predict_whole(ordered)
        else:
            result = self._predict_lookahead(ordered, lookahead)
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return result[back]

    def humanize(self, notes: Sequence[Note], strength: float = 1.0,
                 lookahead: float | None = None) -> list[int]:
        """New velocities for all notes; notes off the 88 keys keep theirs."""
        return self.humanize_timing(notes, strength, lookahead)[0]

    def humanize_timing(self, notes: Sequence[Note], strength: float = 1.0,
                        lookahead: float | None = None,
                        timing: float = 0.0) -> tuple[list[int], list[float]]:
        """New velocities and onset shifts (seconds: `timing` times the model's offsets;
        zero for a model without a timing head) for all notes; notes off the 88 keys
        keep their velocity and place."""
        velocities = np.array([note.velocity for note in notes], dtype=np.int64)
        shifts = np.zeros(len(notes))
        playable = np.array([note.on_keyboard for note in notes], dtype=bool)
        if playable.any():
            chosen = [note for note in notes if note.on_keyboard]
            prediction = self.predict(chosen, lookahead)
            velocities[playable] = encoding.velocities(
                velocities[playable].astype(np.float64), prediction.levels,
                prediction.deviations, strength)
            shifts[playable] = timing * prediction.offsets
        return velocities.tolist(), shifts.tolist()

    def _scale(self, raw: np.ndarray) -> np.ndarray:
        return raw.astype(np.float64) * self.contract.deviation_scale

    def _sounding(self, onsets: np.ndarray, offs: np.ndarray, keys: np.ndarray,
                  first: int, count: int) -> np.ndarray:
        """Frames [first, first + count) of only the notes that sound in them (notes sorted
        by onset; `offs` are their end frames). Memory and time follow the frames asked
        for, never the whole part: a file with an hour of silence costs nothing more."""
        upper = int(np.searchsorted(onsets, first + count, side="left"))
        inside = np.nonzero(offs[:upper] > first)[0]
        return encoding.encode_spans(onsets[inside], offs[inside], keys[inside], first, count)

    def _frame_spans(self, notes: list[Note]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Onset frames, end frames (at least one frame long) and keys of sorted notes."""
        onsets = encoding.frame_index([note.start for note in notes], self.fps)
        offs = np.maximum(encoding.frame_index([note.end for note in notes], self.fps),
                          onsets + 1)
        keys = np.array([note.pitch for note in notes]) - encoding.LOWEST_KEY
        return onsets, offs, keys

    def _predict_whole(self, notes: list[Note]) -> Prediction:
        onsets, offs, keys = self._frame_spans(notes)
        core = int(CHUNK_SECONDS * self.fps)
        margin = int(np.ceil(self.contract.context_seconds * self.fps))
        raw, raw_offsets = np.empty(len(notes)), np.zeros(len(notes))
        for core_start in np.unique(onsets // core) * core:  # only chunks that have onsets
            first = max(0, int(core_start) - margin)
            inside = (onsets >= core_start) & (onsets < core_start + core)
            end = int(min(offs.max(), core_start + core)) + margin
            output, offsets = self.run_heads(
                self._sounding(onsets, offs, keys, first, end - first)[None])
            cells = onsets[inside] - first, keys[inside]
            raw[inside] = output[0][cells]
            if offsets is not None:
                raw_offsets[inside] = offsets[0][cells]
        times = np.array([note.start for note in notes])
        deviations = self._scale(raw)
        centred = deviations - encoding.local_mean(times, deviations, times,
                                                   self.contract.level_seconds)
        velocities = np.array([note.velocity for note in notes], dtype=np.float64)
        levels = encoding.local_mean(times, velocities, times, self.contract.level_seconds)
        return Prediction(levels, centred * self.contract.gain,
                          raw_offsets * self.contract.offset_scale)

    def predict_due(self, heard: Sequence[Note], due: np.ndarray, lookahead: float) -> Prediction:
        """The live case: predictions for the notes `due` (indices into `heard`, sorted by
        start) from windows ending `lookahead` after their onsets. A note still sounding is
        given a far end; the window cuts it where the daemon's knowledge ends."""
        result = self._predict_lookahead(list(heard), lookahead, np.asarray(due, dtype=np.int64))
        return result[due]

    def _window_batches(self, ends: np.ndarray, width: int) -> list[np.ndarray]:
        """Consecutive window ends grouped so that one batch spans at most a few windows'
        worth of frames (windows far apart are never encoded as one long span)."""
        batches, begin = [], 0
        for i in range(1, len(ends) + 1):
            if (i == len(ends) or i - begin >= WINDOW_BATCH
                    or ends[i] - ends[begin] > WINDOW_SPAN * width):
                batches.append(ends[begin:i])
                begin = i
        return batches

    def _predict_lookahead(self, notes: list[Note], lookahead: float,
                           due_notes: np.ndarray | None = None) -> Prediction:
        fps, sigma = self.fps, self.contract.level_seconds
        ahead = int(round(lookahead * fps))
        width = int(np.ceil(self.contract.context_seconds * fps)) + ahead + 1
        times = np.array([note.start for note in notes])
        velocities = np.array([note.velocity for note in notes], dtype=np.float64)
        onsets, offs, keys = self._frame_spans(notes)
        wanted = onsets if due_notes is None else onsets[due_notes]
        ends = np.unique(wanted) + ahead + 1  # one window per onset frame: [end - width, end)
        levels, deviations = np.full(len(notes), np.nan), np.full(len(notes), np.nan)
        offsets = np.zeros(len(notes))
        for batch_ends in self._window_batches(ends, width):
            base = int(batch_ends[0]) - width  # frame f is row f - base
            frames = self._sounding(onsets, offs, keys, base, int(batch_ends[-1]) - base)
            stacked = np.stack([frames[end - width - base:end - base] for end in batch_ends])
            raw, raw_offsets = self.run_heads(stacked)
            output = self._scale(raw)
            for row, end in enumerate(batch_ends):
                lo = np.searchsorted(onsets, end - width, side="left")
                hi = np.searchsorted(onsets, end, side="left")  # notes heard by the window end
                seen = np.arange(lo, hi)
                heard = output[row, onsets[seen] - (end - width), keys[seen]]
                due = seen[onsets[seen] == end - ahead - 1]
                mean = encoding.local_mean(times[seen], heard, times[due], sigma)
                deviations[due] = heard[onsets[seen] == end - ahead - 1] - mean
                if raw_offsets is not None:
                    offsets[due] = raw_offsets[row, onsets[due] - (end - width), keys[due]]
                start = np.searchsorted(times, times[due].min() - 3 * sigma)
                levels[due] = encoding.local_mean(times[start:hi], velocities[start:hi],
                                                  times[due], sigma)
        return Prediction(levels, deviations * self.contract.gain,
                          offsets * self.contract.offset_scale)
