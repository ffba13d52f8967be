"""Hostile style models, built in the tests with onnx.helper: a contract that promises
what humanizer runs, and a graph that breaks it - invalid numbers when the highest key is
played (which the load-time probe never plays), or an output of the wrong shape."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from humanizer.contract import INPUT_NAME, METADATA_KEY, OFFSETS_NAME, OUTPUT_NAME

HIGHEST_KEY_ONSET = 87  # the onset input of C8 (pitch 108)


def contract(name: str, timing: bool = False, **fields) -> dict:
    outputs = ["velocity_deviation"] + (["onset_offset"] if timing else [])
    return {"name": name, "instrument": "piano", "outputs": outputs,
            "description": "hostile test model", "contract_version": 2, **fields}


def top_key_constants(width: int = 88, **scalars: float) -> list:
    """The initializers both graphs use: the slice that reads the top key's onset, 1, 0, a
    zero output row `width` wide, and any further named float scalars."""
    from onnx import TensorProto, helper

    named = {"one": 1.0, "nothing": 0.0, **scalars}
    return [helper.make_tensor("start", TensorProto.INT64, [1], [HIGHEST_KEY_ONSET]),
            helper.make_tensor("stop", TensorProto.INT64, [1], [HIGHEST_KEY_ONSET + 1]),
            helper.make_tensor("axis", TensorProto.INT64, [1], [2]),
            *(helper.make_tensor(key, TensorProto.FLOAT, [], [value])
              for key, value in named.items()),
            helper.make_tensor("zeros", TensorProto.FLOAT, [1, 1, width],
                               np.zeros(width, dtype=np.float32).tolist())]


def saved(path: Path, name: str, nodes: list, outputs: list, constants: list,
          metadata: dict) -> Path:
    """A frame style's graph (input (batch, time, 176)) with its contract, written."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT,
                                                    ["batch", "time", 176])],
        outputs, initializer=constants)
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    built.ir_version = 8
    entry = built.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(metadata)
    onnx.save(built, str(path))
    return path


def model(path: Path, name: str, *, nan_on_top_key: bool = True, nan_offsets: bool = False,
          wrong_shape: bool = False, **fields) -> Path:
    """Deviations 0 everywhere - or -inf in frames where the top key starts; offsets
    (with `nan_offsets`) NaN there too; `wrong_shape` answers (B, T, 1) for (B, T, 88)."""
    from onnx import TensorProto, helper

    timing = nan_offsets
    top = helper.make_node("Slice", [INPUT_NAME, "start", "stop", "axis"], ["top"])
    one_minus = helper.make_node("Sub", ["one", "top"], ["rest"])
    log = helper.make_node("Log", ["rest"], ["broken"])  # log(1 - onset): -inf at onsets
    zero = helper.make_node("Mul", ["top", "nothing"], ["calm"])
    source = "broken" if nan_on_top_key else "calm"
    width = 1 if wrong_shape else 88
    spread = helper.make_node("Add", [source, "zeros"], [OUTPUT_NAME])
    nodes = [top, one_minus, log, zero, spread]
    outputs = [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT,
                                             ["batch", "time", 88])]
    if timing:
        nodes.append(helper.make_node("Mul", ["broken", "nothing"], ["nan"]))  # -inf * 0
        nodes.append(helper.make_node("Add", ["nan", "zeros"], [OFFSETS_NAME]))
        outputs.append(helper.make_tensor_value_info(OFFSETS_NAME, TensorProto.FLOAT,
                                                     ["batch", "time", 88]))
    return saved(path, name, nodes, outputs, top_key_constants(width),
                 contract(name, timing, **fields))


def hanging(path: Path, name: str, always: bool = False, steps: float = 1e15) -> Path:
    """A style whose inference does not return (a `Loop` of 10^15 empty steps; fewer
    `steps` stall it for a while, as a slow machine or a huge style would): on every input
    (`always`: its load check hangs), or only where the top key starts (its load check
    passes, then the predictor hangs on the first such note). Deviations 0 otherwise."""
    from onnx import TensorProto, helper

    scalar = [helper.make_tensor_value_info(n, t, []) for n, t in
              (("step", TensorProto.INT64), ("going", TensorProto.BOOL),
               ("count", TensorProto.FLOAT))]
    body = helper.make_graph(
        [helper.make_node("Identity", ["going"], ["going_on"]),
         helper.make_node("Add", ["count", "one"], ["counted"])], "spin", scalar,
        [helper.make_tensor_value_info("going_on", TensorProto.BOOL, []),
         helper.make_tensor_value_info("counted", TensorProto.FLOAT, [])])
    nodes = [
        helper.make_node("Slice", [INPUT_NAME, "start", "stop", "axis"], ["top"]),
        helper.make_node("ReduceMax", ["top"], ["played"], keepdims=0),
        # 10^15 steps where the top key starts (or, always, on any input: never folded
        # at load, since it depends on the input)
        helper.make_node("Mul", ["played", "nothing" if always else "one"], ["scaled"]),
        helper.make_node("Add", ["scaled", "one" if always else "nothing"], ["trips_f"]),
        helper.make_node("Mul", ["trips_f", "huge"], ["trips_big"]),
        helper.make_node("Cast", ["trips_big"], ["trips"], to=TensorProto.INT64),
        helper.make_node("Loop", ["trips", "", "nothing"], ["spun"], body=body),
        helper.make_node("Mul", ["top", "nothing"], ["calm"]),
        helper.make_node("Mul", ["spun", "nothing"], ["none"]),
        helper.make_node("Add", ["calm", "none"], ["flat"]),
        helper.make_node("Add", ["flat", "zeros"], [OUTPUT_NAME]),
    ]
    outputs = [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT,
                                             ["batch", "time", 88])]
    return saved(path, name, nodes, outputs, top_key_constants(huge=steps), contract(name))
