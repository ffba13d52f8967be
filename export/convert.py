"""Keras model -> ONNX graph with the contract's names, dynamic axes and metadata.

tf2onnx works on a tf.function with a fully dynamic (batch, time, 176) signature, which
gives real ONNX LSTM nodes. What it cannot be trusted with is refused here: a graph with a
Loop or Scan node (Keras 3 exports TimeDistributed that way, silently wrong).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from collections.abc import Iterator

import keras
import onnx
import tensorflow as tf
import tf2onnx

from humanizer import encoding, notefeatures
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

OPSET = 17  # 17 and 18 export correctly; tf2onnx 1.17 refuses 19
DYNAMIC_AXES = ("batch", "time")
REFUSED_OPS = {"Loop", "Scan"}


def load_keras(path: str | os.PathLike) -> keras.Model:
    """A trained model from a .keras file, without its training loss.

    compile=False: the masked loss is a custom function, not needed to run the model.
    """
    if not os.path.isfile(path):
        raise HumanizerError(f"{path}: no such file")
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception:
        raise HumanizerError(f"{path}: not a Keras model (expected a .keras file saved by "
                             "humanizer train)") from None
    if not isinstance(model, keras.Model):
        raise HumanizerError(f"{path}: not a Keras model")
    return model


def output_names(contract: Contract) -> list[str]:
    """The graph's outputs in the Keras model's order: deviations, then any timing head
    (a note-level model: its one output of predictions)."""
    if contract.note_level:
        return [PREDICTIONS_NAME]
    return [OUTPUT_NAME, OFFSETS_NAME] if contract.timing else [OUTPUT_NAME]


def input_of(contract: Contract) -> tuple[str, int, str]:
    """(input name, width, what a step is) of the contract's encoding."""
    if contract.note_level:
        return NOTES_INPUT, notefeatures.inputs(contract.encoding_version), "notes"
    return INPUT_NAME, encoding.INPUTS, "frames"


def output_width(contract: Contract) -> tuple[int, str]:
    """How wide each output is, and what it holds."""
    if contract.note_level:
        return len(contract.outputs), "outputs per note"
    return encoding.KEYS, "deviations"


def check_shapes(model: keras.Model, contract: Contract) -> None:
    """Refuse a model that cannot honour the encoding: (batch, time, 176) -> (..., 88),
    with as many outputs as the contract lists."""
    wanted = len(output_names(contract))
    if len(model.inputs) != 1 or len(model.outputs) != wanted:
        raise HumanizerError(f"the model must have exactly one input and {wanted} "
                             f"output{'s' if wanted > 1 else ''} (outputs "
                             f"{', '.join(contract.outputs)}), not {len(model.outputs)}")
    for output in model.outputs:
        check_shape(tuple(model.inputs[0].shape), tuple(output.shape), contract)


def check_shape(shape_in: tuple, shape_out: tuple, contract: Contract) -> None:
    _, width, steps = input_of(contract)
    out, holds = output_width(contract)
    if len(shape_in) != 3 or shape_in[-1] != width:
        raise HumanizerError(f"the model takes input {shape_in}; a style model takes "
                             f"(batch, time, {width}) {steps}")
    if shape_in[1] is not None:
        raise HumanizerError(f"the model only takes {shape_in[1]} {steps} at a time; a style "
                             f"model must take any number of {steps}")
    if len(shape_out) != 3 or shape_out[-1] != out:
        raise HumanizerError(f"the model gives output {shape_out}; a style model gives "
                             f"(batch, time, {out}) {holds}")


@contextlib.contextmanager
def quiet_tf2onnx() -> Iterator[None]:
    """tf2onnx logs every graph rewrite at INFO and harmless shape notices at WARNING."""
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def signature(contract: Contract) -> list[tf.TensorSpec]:
    name, width, _ = input_of(contract)
    return [tf.TensorSpec([None, None, width], tf.float32, name=name)]


def inference_function(model: keras.Model, contract: Contract
                       ) -> tf.types.experimental.PolymorphicFunction:
    """The model in inference mode (dropout off) as one graph for any batch and length.

    tf2onnx converts this; the parity check runs it too, because eager Keras steps its
    LSTMs in Python and takes seconds where the graph takes milliseconds.
    """
    return tf.function(lambda frames: model(frames, training=False),
                       input_signature=signature(contract))


def trace(model: keras.Model, contract: Contract) -> onnx.ModelProto:
    """The raw tf2onnx graph of the model."""
    function = inference_function(model, contract)
    try:
        with quiet_tf2onnx():
            proto, _ = tf2onnx.convert.from_function(function,
                                                     input_signature=signature(contract),
                                                     opset=OPSET)
    except Exception as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise HumanizerError(f"tf2onnx could not convert the model ({first_line[:200]})") from None
    return proto


def all_nodes(graph: onnx.GraphProto) -> Iterator[onnx.NodeProto]:
    """Every node, including those inside subgraphs (If/Loop bodies)."""
    for node in graph.node:
        yield node
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(attribute.g)
            for subgraph in attribute.graphs:
                yield from all_nodes(subgraph)


def op_counts(proto: onnx.ModelProto) -> Counter[str]:
    """How many nodes of each type the graph has (LSTM count shows a sound export)."""
    return Counter(node.op_type for node in all_nodes(proto.graph))


def refuse_loops(proto: onnx.ModelProto) -> None:
    found = sorted(REFUSED_OPS & set(op_counts(proto)))
    if found:
        raise HumanizerError(
            f"the exported graph contains {'/'.join(found)} nodes, which export wrongly "
            "(TimeDistributed under Keras 3): use Dense directly on the 3-D tensor")


def rename_output(graph: onnx.GraphProto, index: int, new: str) -> None:
    """Give a graph output the contract's name, everywhere it is referenced."""
    old = graph.output[index].name
    if old == new:
        return
    for node in graph.node:
        node.output[:] = [new if name == old else name for name in node.output]
        node.input[:] = [new if name == old else name for name in node.input]
    graph.output[index].name = new


def name_dynamic_axes(graph: onnx.GraphProto) -> None:
    """Name the batch and time axes of input and output, so tools show what they mean."""
    for value in (graph.input[0], *graph.output):
        dims = value.type.tensor_type.shape.dim
        for dim, name in zip(dims, DYNAMIC_AXES, strict=False):
            dim.ClearField("dim_value")
            dim.dim_param = name


def set_contract(proto: onnx.ModelProto, contract: Contract) -> None:
    """Store the contract under METADATA_KEY, replacing any earlier one."""
    kept = [(p.key, p.value) for p in proto.metadata_props if p.key != METADATA_KEY]
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, dict(kept) | {METADATA_KEY: contract.to_json()})


def to_onnx(model: keras.Model, contract: Contract) -> onnx.ModelProto:
    """The checked ONNX style model for a Keras model (not yet compared with Keras)."""
    check_shapes(model, contract)
    proto = trace(model, contract)
    refuse_loops(proto)
    graph = proto.graph
    names = output_names(contract)
    name = input_of(contract)[0]
    if [i.name for i in graph.input] != [name] or len(graph.output) != len(names):
        raise HumanizerError(f"the exported graph must have one input '{name}' and "
                             f"{len(names)} outputs")
    for index, name in enumerate(names):
        rename_output(graph, index, name)
    name_dynamic_axes(graph)
    proto.producer_name = "humanizer export"
    set_contract(proto, contract)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as error:
        first_line = (str(error).strip().splitlines() or ["invalid"])[0]
        raise HumanizerError(f"the exported graph is not valid ONNX ({first_line[:200]})") from None
    return proto
