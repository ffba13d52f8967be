"""The ONNX engine: a validated style model that predicts, for the notes of one part,
each note's level, its deviation from it and its onset offset.

Two ways to look at a part, one code path (each model family runs them in a module of its
own, humanizer.note_engine or humanizer.frame_engine, which only the engine chooses):
- whole-file context (offline default): the part is cut into long overlapping chunks, so
  every note sees at least `context_seconds` on both sides and results do not depend on
  where a chunk starts;
- a fixed lookahead (the live daemon, and offline with --latency): each note is predicted
  from a window that ends `lookahead` after its onset and holds only the notes heard by
  then, exactly as the daemon knows them (humanizer.windows: windows follow from the
  notes, never a clock, so a part gives the same result live and offline).

Deviations and offsets come out re-centred on their running mean over the part's notes
(`recentred`; a note-level style's deviations and offsets in a lookahead window on the
running centre of those its part's notes got when due, humanizer.centres): the model may
shape a part and make its notes push and pull, never move its level or its place.
Turning a prediction into velocities is humanizer.output's job.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import onnxruntime as ort

from humanizer import drumkit, encoding, frame_engine, note_engine, notefeatures
from humanizer.centres import Centre
from humanizer.contract import (
    INPUT_NAME,
    METADATA_KEY,
    NOTES_INPUT,
    OFFSETS_NAME,
    OUTPUT_NAME,
    PREDICTIONS_NAME,
    Contract,
)
from humanizer.errors import HumanizerError
from humanizer.meter import Meter
from humanizer.notes import Note
from humanizer.output import MAX_SHIFT
from humanizer.prediction import Prediction
from humanizer.windows import LevelNotes, Texture

PREDICT_BEFORE = 0.080  # the live predictor starts this long before a note is due
BATCH_SECONDS = 0.030  # notes due this close after the first one share its inference
FAR_END = 1e9  # the end of a note whose note-off is not heard yet


@dataclass(frozen=True)
class Hearing:
    """What a live window of a style must be handed (the engine says, so the daemon never
    asks which model family it runs): the notes begun from `reach` seconds before the
    earliest due note - at most `most` of them before it (None: all) - and, for the
    input's level, the notes heard from `level_reach` seconds before it."""

    reach: float
    level_reach: float
    most: int | None


def heard_ahead(latency: float, timing: bool = False) -> float:
    """How far past a note's onset the live daemon has heard when it predicts the note:
    the latency, less the time the predictor starts before the note is due (a batch's
    later notes and, with timing on, an early shift included). Offline `--latency` uses
    the same, so both give the model the same window."""
    guard = PREDICT_BEFORE + BATCH_SECONDS + (MAX_SHIFT if timing else 0.0)
    return max(0.0, latency - guard)


def without_timing(engines: Iterable[Engine], asked: str, hint: str,
                   lengths: bool = False) -> str | None:
    """Why timing (`asked`: the flag or setting) cannot be had from these styles - none
    has a timing head - or None when one has; with `lengths`, the same for articulation
    and a length head. Offline, serve and ctl refuse it alike."""
    engines = list(engines)
    if any(engine.contract.lengths if lengths else engine.contract.timing
           for engine in engines):
        return None
    names = ", ".join(sorted(engine.contract.name for engine in engines))
    what, head = ("note lengths", "length") if lengths else ("timing", "timing")
    return f"style {names} predicts no {what}: {asked} needs a style with a {head} head ({hint})"


def session_options(threads: int = 1) -> ort.SessionOptions:
    """One thread that does not spin between calls suits the daemon's sporadic inferences.
    No memory arena: an arena keeps the largest window ever run (a burst of a thousand
    notes) for the session's life, and a swap holds two sessions for a while; without it
    the soak with faults peaks at 116 MB instead of 130-152, at the same speed."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3
    return options


def read_contract(session: ort.InferenceSession, source: str) -> Contract:
    metadata = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in metadata:
        raise HumanizerError(f"{source}: not a humanizer style model (no contract in its metadata)")
    contract = Contract.from_json(metadata[METADATA_KEY], source)
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if contract.note_level:
        check_note_model(inputs, outputs, contract, source)
        return contract
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


def check_note_model(inputs: list, outputs: list, contract: Contract, source: str) -> None:
    """A note-level model: (batch, notes, features) in, (batch, notes, outputs) out."""
    if [i.name for i in inputs] != [NOTES_INPUT] or [o.name for o in outputs] != [
            PREDICTIONS_NAME]:
        raise HumanizerError(f"{source}: expected input '{NOTES_INPUT}' and output "
                             f"'{PREDICTIONS_NAME}' as the contract says")
    width = notefeatures.inputs(contract.encoding_version)
    if len(inputs[0].shape) != 3 or inputs[0].shape[-1] != width:
        raise HumanizerError(f"{source}: input must be (batch, notes, {width})")
    if len(outputs[0].shape) != 3 or outputs[0].shape[-1] != len(contract.outputs):
        raise HumanizerError(f"{source}: output must be (batch, notes, "
                             f"{len(contract.outputs)}): one channel per listed output")


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
        # the module that runs this family of style (the only place that asks which)
        self.family = note_engine if self.contract.note_level else frame_engine
        self.fps = self.contract.fps
        self._heard_keys = np.array([self.hears(Note(key, 64, 0.0, 1.0)) is not None
                                     for key in range(128)])  # hears, for every MIDI key

    @property
    def hearing(self) -> Hearing:
        """What a live window needs: a note-level style its context (at most
        note_engine.MAX_STEPS notes) and its level's three widths before that; a frame
        style its frames' context and the level's three widths, from the window itself."""
        contract = self.contract
        if contract.note_level:
            reach = contract.context_seconds + 1.0
            return Hearing(reach, reach + 3 * contract.level_seconds, note_engine.MAX_STEPS)
        reach = max(contract.context_seconds, 3 * contract.level_seconds) + 1.0
        return Hearing(reach, reach, None)

    def hears(self, note: Note) -> Note | None:
        """The note as this style's model hears it, or None for one it has no input for:
        off the 88 keys, or for drums a piece the training kit never played (it keeps the
        user's velocity rather than get a guess)."""
        if self.contract.instrument == "drums":
            pitch = drumkit.heard_as(note.pitch, self.contract.drum_map)
            if pitch is None or pitch == note.pitch:  # (most notes: no copy, the daemon
                return None if pitch is None else note  # asks this of thousands at a time)
            return replace(note, pitch=pitch)
        return note if note.on_keyboard else None

    def hears_keys(self, keys: np.ndarray) -> np.ndarray:
        """Whether the model has an input for notes on MIDI `keys` (as `hears` says), for
        thousands of keys at once."""
        return self._heard_keys[np.asarray(keys, dtype=np.int64)]

    def run(self, frames: np.ndarray) -> np.ndarray:
        """Raw deviations (batch, time, 88) for frames (batch, time, 176)."""
        return self.run_heads(frames)[0]

    def live_input(self, notes: Sequence[Note], due: int, lookahead: float) -> np.ndarray:
        """The model's input for the live window that predicts notes[due] (sorted by
        start), as the daemon builds it: what `run_input` times alone."""
        return self.family.live_input(self, Texture.of(notes), due, lookahead)

    def run_input(self, inputs: np.ndarray) -> np.ndarray:
        """The model's first output for an input `live_input` built (either family)."""
        return self.session.run(None, {self.session.get_inputs()[0].name:
                                       inputs.astype(np.float32)})[0]

    def run_steps(self, steps: np.ndarray) -> np.ndarray:
        """Raw outputs (batch, notes, len(outputs)) of a note-level model."""
        return self.session.run([PREDICTIONS_NAME], {NOTES_INPUT: steps.astype(np.float32)})[0]

    def run_heads(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw deviations and, for a model with a timing head, raw onset offsets."""
        names = [OUTPUT_NAME, OFFSETS_NAME] if self.contract.timing else [OUTPUT_NAME]
        outputs = self.session.run(names, {INPUT_NAME: frames.astype(np.float32)})
        return outputs[0], outputs[1] if self.contract.timing else None

    def predict(self, notes: Sequence[Note], lookahead: float | None = None,
                owners: Sequence[int] | None = None, meter: Meter | None = None) -> Prediction:
        """Predictions for notes on the 88 keys (in the order of `notes`), heard together;
        `owners` (default: all one) says which part each belongs to - each part keeps its
        own level and centre.

        lookahead None means whole-file context; otherwise seconds the model may hear after
        each note's onset (see heard_ahead for the live daemon's). `meter`: where each
        note falls in the bar (for styles that hear it), in the order of `notes`.
        """
        notes = list(notes)
        if not notes:
            return Prediction.empty()
        if any(not note.on_keyboard for note in notes):
            raise ValueError("predict takes only notes on the 88 keys")
        order = np.argsort([note.start for note in notes], kind="stable")
        ordered = [notes[i] for i in order]
        owned = None if owners is None else np.asarray(owners)[order]
        metered = None if meter is None else meter[order]
        if lookahead is None:
            result = Prediction.empty(len(ordered))
            self.family.predict_whole(self, Texture.of(ordered, owned, metered), result)
        else:
            result = self.predict_parts([(ordered, np.arange(len(ordered)), owned)],
                                        lookahead, [metered])[0]
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return result[back]

    def predict_due(self, heard: Sequence[Note], due: np.ndarray, lookahead: float,
                    owners: Sequence[int] | None = None) -> Prediction:
        """The live case: predictions for the notes `due` (indices into `heard`, sorted by
        start) from windows ending `lookahead` after their onsets."""
        return self.predict_parts([(list(heard), due, owners)], lookahead)[0]

    def predict_parts(self, groups: Sequence[tuple[Sequence[Note], np.ndarray,
                                                   Sequence[int] | None]],
                      lookahead: float, meters: Sequence[Meter | None] | None = None,
                      levels: Sequence[LevelNotes | None] | None = None,
                      earlier: Sequence[Mapping[int, Centre] | None] | None = None
                      ) -> list[Prediction]:
        """The live case, for several groups of notes at once: for each (notes sorted by
        start, indices of the notes due, owners or None), the predictions of those notes
        from windows reaching `lookahead` past them (humanizer.windows). All windows share
        model runs. `meters`: each group's notes' meter (None: unknown); `levels`: for
        note-level styles, the notes each group's input level is measured from (None:
        its own notes), and `earlier` its parts' running centres before its due notes
        (humanizer.centres: what they are centred on, with their own; None: none)."""
        meters = meters or [None] * len(groups)
        levels = levels or [None] * len(groups)
        earlier = earlier or [None] * len(groups)
        textures = [(Texture.of(notes, owners, meter, level), np.asarray(wanted, dtype=np.int64))
                    for (notes, wanted, owners), meter, level in zip(groups, meters, levels)]
        answers = [Prediction.empty(len(wanted)) for _, wanted in textures]
        self.family.predict_windows(self, textures, lookahead, answers, earlier)
        return answers

