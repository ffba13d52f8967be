"""The child process of `humanizer bench` that times Keras: `python -m
humanizer.commands.bench.keras_worker SPEC_JSON` prints one JSON line of figures.

Its own module, and its own process, because it imports TensorFlow: the bench process
(like every runtime command) must never load it.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from humanizer import encoding
from humanizer.commands.bench.inference import time_calls


def infer_architecture(path: str) -> dict:
    """units and layers from an ONNX graph: one LSTM node per layer, R is (dirs, 4h, h)."""
    import onnx

    graph = onnx.load(path).graph
    weights = {w.name: list(w.dims) for w in graph.initializer}
    lstms = [node for node in graph.node if node.op_type == "LSTM"]
    return {"units": int(weights[lstms[0].input[2]][-1]), "layers": len(lstms)}


def keras_worker(spec: dict) -> dict:
    """Keras `model.predict` and a `tf.function` on one live window, one thread each (as
    onnxruntime gets). Random weights cost the same time as trained ones."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from humanizer.training.keras_model import build_model, build_note_model

    shape = {k: spec[k] for k in ("units", "layers") if k in spec} or infer_architecture(
        spec["model"])
    rng = np.random.default_rng(0)
    if spec.get("notes"):  # a note-level style: a window of `width` notes
        inputs = spec["inputs"]
        model = build_note_model(inputs, shape["units"], shape["layers"], dropout=0.0,
                                 outputs=spec["outputs"])
        frames = rng.standard_normal((1, spec["width"], inputs)).astype(np.float32)
    else:
        inputs = encoding.INPUTS
        model = build_model(shape["units"], shape["layers"], dropout=0.0)
        frames = (rng.random((1, spec["width"], inputs)) < 0.03).astype(np.float32)
    predict = time_calls(lambda: model.predict(frames, verbose=0), spec["count"], warmup=3)
    graph = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                        input_signature=[tf.TensorSpec([None, None, inputs])])
    tensor = tf.constant(frames)
    function = time_calls(lambda: graph(tensor).numpy(), spec["count"] * 3, warmup=3)
    return {"keras_units": shape["units"], "keras_layers": shape["layers"],
            "keras_threads": 1, "tensorflow": tf.__version__,
            "keras_predict_p50_ms": round(float(np.median(predict)) * 1000, 3),
            "tf_function_p50_ms": round(float(np.median(function)) * 1000, 3)}


if __name__ == "__main__":
    print(json.dumps(keras_worker(json.loads(sys.argv[1]))))
