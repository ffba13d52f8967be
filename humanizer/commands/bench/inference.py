"""Inference: one live window (the model's context + 500 ms lookahead, the window the
daemon runs) on one onnxruntime thread, the thread/spinning tuning, batching of notes due
together - and the same architecture through Keras in a child process, so this process
never loads TensorFlow (the runtime path must not)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from humanizer import models, notefeatures
from humanizer.commands.bench.music import piano_part
from humanizer.commands.bench.targets import percentiles, unavailable
from humanizer.notes import Note

LIVE_LOOKAHEAD = 0.5  # seconds: the daemon's default latency
KERAS_TIMEOUT = 180.0  # seconds for the child process (TensorFlow's import alone is ~10 s)
# calls a p99 target is read from: of 200, the p99 is the second-slowest call, and on a quiet
# machine it moved between 2.15 and 3.3 ms from one bench to the next (docs/performance.md)
TARGET_CALLS = 1000
TUNING_CALLS = 100  # per setting: the tuning compares settings, it sets no target


def time_calls(call: Callable[[], object], count: int, gap: float = 0.0,
               warmup: int = 5) -> np.ndarray:
    """Seconds per call; `gap` sleeps between calls, as the daemon's sporadic inferences
    leave the CPU idle (and caches cold) between two windows."""
    for _ in range(warmup):
        call()
    durations = np.empty(count)
    for i in range(count):
        if gap:
            time.sleep(gap)
        started = time.perf_counter()
        call()
        durations[i] = time.perf_counter() - started
    return durations


def session(path: Path, threads: int, spinning: bool) -> object:
    """A session like the engine's, with a chosen thread count and spinning policy."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning",
                                     "1" if spinning else "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def measure_inference(style: str, count: int) -> dict:
    """ONNX p50/p99 of one live window on one thread (the daemon's setting), and the
    tuning DESIGN asks to measure: more threads, spinning threads, and whole
    predict_due calls for one note vs eight notes due together (batched in one run)."""
    engine = models.load(style, threads=1)
    notes = piano_part(30.0)
    starts = np.array([note.start for note in notes])
    due = np.nonzero(starts >= 10.0)[0][:1]  # the first note after 10 s
    frames = engine.live_input(notes, int(due[0]), LIVE_LOOKAHEAD)
    result = {"encoding": engine.contract.encoding, "window_steps": frames.shape[1],
              "threads": 1, "calls": count}
    result.update(percentiles(time_calls(lambda: engine.run_input(frames), count,
                                         gap=0.005), "onnx_"))
    # the whole window as the daemon runs it: the notes' inputs, the model, centring
    heard = [note for note in notes if note.start <= starts[due[-1]] + LIVE_LOOKAHEAD]
    result.update(percentiles(time_calls(
        lambda: engine.predict_due(heard, due, LIVE_LOOKAHEAD), count, gap=0.005),
        "window_"))
    # issue 36: a window's Python (its notes' features, levels, centring) at most as much
    # again as its model run - the typical call (p50: the tails are the VM's)
    result["window_over_onnx_p50"] = round(result["window_p50_ms"] / result["onnx_p50_ms"], 2)
    tuning = {}
    path = models.find(style)
    for threads, spinning in ((1, False), (2, False), (2, True)):
        run = session(path, threads, spinning).run
        feed = {engine.session.get_inputs()[0].name: frames}
        for gap in (0.0, 0.005):
            times = time_calls(lambda run=run, feed=feed: run(None, feed), TUNING_CALLS, gap=gap)
            name = f"threads{threads}_spin{int(spinning)}_{'sporadic' if gap else 'back_to_back'}"
            tuning[name] = {k: v for k, v in percentiles(times).items() if k != "max_ms"}
    result["tuning"] = tuning
    result["batching"] = measure_batching(engine, notes)
    return result


def measure_batching(engine: object, notes: list[Note]) -> dict:
    """Engine.predict_due as the daemon calls it: eight notes due together in one call
    (one batched run) against eight calls of one note each."""
    starts = np.array([note.start for note in notes])
    due = np.nonzero(starts >= 10.0)[0][:8]
    heard = [note for note in notes if note.start <= starts[due[-1]] + LIVE_LOOKAHEAD]
    one = time_calls(lambda: engine.predict_due(heard, due[:1], LIVE_LOOKAHEAD), 40, 0.005)
    eight = time_calls(lambda: engine.predict_due(heard, due, LIVE_LOOKAHEAD), 40, 0.005)
    return {"notes": len(due),
            "one_note_p50_ms": round(float(np.median(one)) * 1000, 3),
            "together_p50_ms": round(float(np.median(eight)) * 1000, 3),
            "one_by_one_p50_ms": round(float(np.median(one)) * 1000 * len(due), 3)}


def architecture(contract: object) -> dict:
    """units/layers from the model card's training settings, if it has them (otherwise
    the worker reads them from the ONNX LSTM weights)."""
    training = contract.metrics.get("training") if isinstance(contract.metrics, dict) else None
    if isinstance(training, dict) and {"units", "layers"} <= set(training):
        return {"units": int(training["units"]), "layers": int(training["layers"])}
    return {}


def measure_keras(style: str, width: int, count: int) -> dict:
    """The same architecture through Keras, in a child process (TensorFlow never enters
    this one); null with a reason when TensorFlow is not installed."""
    keys = ("keras_predict_p50_ms", "tf_function_p50_ms")
    if importlib.util.find_spec("tensorflow") is None:
        return unavailable("TensorFlow is not installed (pip install 'midi-humanizer[train]')",
                           *keys)
    contract = models.describe(style)
    spec = {"model": str(models.find(style)), "width": width, "count": count,
            "notes": contract.note_level, "outputs": len(contract.outputs),
            "inputs": notefeatures.inputs(contract.encoding_version),
            **architecture(contract)}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    try:
        done = subprocess.run([sys.executable, "-m", "humanizer.commands.bench.keras_worker",
                               json.dumps(spec)], capture_output=True, text=True,
                              timeout=KERAS_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return unavailable(f"the Keras measurement took more than {KERAS_TIMEOUT:g} s", *keys)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return unavailable(f"the Keras measurement failed: {tail[:200]}", *keys)
    return json.loads(lines[-1])


def measure(style: str, count: int = TARGET_CALLS, keras_count: int = 15) -> dict:
    """The inference section: ONNX, Keras beside it, and the speed-ups between them."""
    clock = time.perf_counter()
    inference = measure_inference(style, count)
    width = inference["window_steps"]
    inference.update(measure_keras(style, width, keras_count))
    inference["bench_s"] = round(time.perf_counter() - clock, 1)
    predict = inference.get("keras_predict_p50_ms")
    inference["speedup_vs_predict"] = (round(predict / inference["onnx_p50_ms"], 1)
                                       if predict else None)
    if predict and inference.get("tf_function_p50_ms"):
        inference["speedup_vs_tf_function"] = round(
            inference["tf_function_p50_ms"] / inference["onnx_p50_ms"], 1)
    return inference
