"""Does the ONNX graph compute what the Keras model computes? Measured, not assumed.

A converter can produce a graph that passes onnx.checker and still computes something else
(TimeDistributed under Keras 3 did). So every export runs both models on the same inputs:
random frames of several batch sizes and lengths (the axes must really be dynamic), and
sparse piano-roll frames encoded from random notes (what the model sees in use).
"""

from __future__ import annotations

import random

import keras
import numpy as np
import onnxruntime as ort

from humanizer import encoding, notefeatures
from humanizer.contract import OFFSETS_NAME, OUTPUT_NAME, PREDICTIONS_NAME, Contract
from humanizer.meter import Meter
from humanizer.notes import HIGHEST_KEY, LOWEST_KEY, Note

from . import convert

TOLERANCE = 1e-4  # model units; a sound export differs by ~1e-7
RANDOM_SHAPES = ((1, 1), (2, 37), (3, 300))  # (batch, time)
NOTES_SECONDS = 8.0
NOTES_PER_WINDOW = 60


def random_notes(rng: random.Random, seconds: float, count: int) -> list[Note]:
    """Notes scattered over the keyboard, as a stand-in for a real part."""
    notes = []
    for _ in range(count):
        start = rng.uniform(0.0, seconds)
        notes.append(Note(pitch=rng.randint(LOWEST_KEY, HIGHEST_KEY),
                          velocity=rng.randint(1, 127), start=start,
                          end=start + rng.uniform(0.02, 1.5)))
    return notes


def note_steps(notes: list[Note], contract: Contract) -> np.ndarray:
    """Real-looking note-level steps of random notes, meter known, accents drawn, in the
    contract's encoding (a drums style's random notes are strokes of its kit too)."""
    notes = sorted(notes, key=lambda n: (n.start, n.pitch))
    times = np.array([n.start for n in notes])
    pitches = np.array([n.pitch for n in notes])
    meter = Meter(times * 2 % 1.0, times * 2 % 4, np.full(len(notes), 4.0),
                  np.ones(len(notes)))
    steps = notefeatures.encode_notes(times, np.array([n.end for n in notes]), pitches,
                                      np.array([n.velocity - 64.0 for n in notes]), meter,
                                      drums=contract.instrument == "drums",
                                      version=contract.encoding_version)
    return steps[notefeatures.step_order(times, pitches)]


def probe_inputs(contract: Contract, seed: int = 0) -> list[np.ndarray]:
    """The inputs both models are run on: random steps, then two batches of real-looking
    ones (one window per batch row). Fixed seed: an export is reproducible."""
    generator = np.random.default_rng(seed)
    width = (notefeatures.inputs(contract.encoding_version) if contract.note_level
             else encoding.INPUTS)
    inputs = [generator.random((batch, time, width), dtype=np.float32)
              for batch, time in RANDOM_SHAPES]
    rng = random.Random(seed)
    if contract.note_level:
        for batch in (1, 4):
            inputs.append(np.stack([note_steps(random_notes(rng, NOTES_SECONDS,
                                                            NOTES_PER_WINDOW), contract)
                                    for _ in range(batch)]))
        return inputs
    fps = contract.fps
    n_frames = int(round(NOTES_SECONDS * fps))
    for batch in (1, 4):
        rows = [encoding.encode(random_notes(rng, NOTES_SECONDS, NOTES_PER_WINDOW), 0,
                                n_frames, fps) for _ in range(batch)]
        inputs.append(np.stack(rows))
    return inputs


def keras_outputs(model: keras.Model, inputs: list[np.ndarray],
                  contract: Contract) -> list[np.ndarray]:
    """The reference: the Keras model in inference mode (dropout off), run by TensorFlow.
    One array per input; a model with a timing head gives both heads concatenated on the
    last axis (deviations, then offsets), as `onnx_outputs` does."""
    function = convert.inference_function(model, contract)
    results = []
    for frames in inputs:
        output = function(frames)
        heads = output if isinstance(output, list | tuple) else [output]
        results.append(np.concatenate([head.numpy() for head in heads], axis=-1))
    return results


def onnx_outputs(session: ort.InferenceSession, frames: np.ndarray) -> np.ndarray:
    """The graph's outputs for the frames, the heads concatenated as in `keras_outputs`."""
    names = [o.name for o in session.get_outputs()]
    heads = [name for name in (OUTPUT_NAME, OFFSETS_NAME, PREDICTIONS_NAME) if name in names]
    return np.concatenate(session.run(heads, {session.get_inputs()[0].name: frames}), axis=-1)


def onnx_session(model_bytes: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def max_difference(session: ort.InferenceSession, inputs: list[np.ndarray],
                   expected: list[np.ndarray]) -> float:
    """Largest absolute difference from the reference over all inputs; inf if a shape
    differs (a wrong graph may give (B, B, 88) instead of (B, T, 88))."""
    worst = 0.0
    for frames, reference in zip(inputs, expected, strict=True):
        output = onnx_outputs(session, frames)
        if output.shape != reference.shape:
            return float("inf")
        worst = max(worst, float(np.max(np.abs(output - reference))))
    return worst
