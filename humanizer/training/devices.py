"""Where a style trains: a tf.distribute strategy over every GPU TensorFlow sees, or the CPU.

Choosing the strategy is the only place training asks which devices it runs on. Everything
after it is one code path: the model and its optimiser are built in the strategy's scope,
each epoch's crops go through tf.data (humanizer.training.pipeline) in global batches of
--batch-size per replica, and Keras splits each batch over the replicas and sums their
gradients - the masked losses divide by the cells counted on all replicas
(keras_model.counted), so that sum is the gradient one device would take on the whole
batch. Imports TensorFlow: training only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from humanizer.errors import HumanizerError

AUTO, CPU = "auto", "cpu"  # --devices (humanizer.values.devices), beside GPU numbers


def choose_strategy(devices: str = AUTO) -> tf.distribute.Strategy:
    """The strategy `devices` (humanizer.values.devices) asks for. `auto`: MirroredStrategy
    over all the GPUs there are (one GPU too: the same path as several), else the CPU;
    GPU numbers: MirroredStrategy over those.

    The CPU is TensorFlow's default strategy (tf.distribute.get_strategy()), not
    OneDeviceStrategy("/cpu:0"): in its scope Keras records no strategy on the model
    (tf.distribute.has_strategy() is False) and builds, compiles and steps it exactly as
    with no strategy at all, so a CPU run keeps the numbers and the speed it had before
    distribution came in. OneDeviceStrategy("/cpu:0") is taken only for `cpu` on a machine
    with GPUs, where the default strategy would place the model on the first GPU.
    (The `train` extra installs tensorflow-cpu, which sees no GPU: GPUs need TensorFlow's
    CUDA build in its place.)"""
    gpus = tf.config.list_physical_devices("GPU")
    if devices == CPU:
        return tf.distribute.OneDeviceStrategy("/cpu:0") if gpus else tf.distribute.get_strategy()
    if devices == AUTO:
        return tf.distribute.MirroredStrategy() if gpus else tf.distribute.get_strategy()
    wanted = [int(n) for n in devices.split(",")]
    missing = [n for n in wanted if n >= len(gpus)]
    if missing:
        raise HumanizerError(f"--devices {devices}: no GPU {missing[0]} (TensorFlow sees "
                             f"{len(gpus)} GPU{'' if len(gpus) == 1 else 's'})")
    return tf.distribute.MirroredStrategy([f"/gpu:{n}" for n in wanted])


def device_names(strategy: tf.distribute.Strategy) -> list[str]:
    """The replicas' devices ("GPU:0", "CPU:0"); the default strategy's: ["CPU"]."""
    try:
        workers = strategy.extended.worker_devices
    except RuntimeError:  # the default strategy names none: chosen only where no GPU is
        return ["CPU"]
    specs = [tf.DeviceSpec.from_string(d) for d in workers]
    return [f"{spec.device_type}:{spec.device_index}" for spec in specs]


def describe(strategy: tf.distribute.Strategy, per_replica: int) -> str:
    """What the trainer prints: "1 replica (CPU), batch 32" or "2 replicas (GPU:0,
    GPU:1), batch 64 (32 per replica)" - the batch a step takes scales with the replicas."""
    replicas = strategy.num_replicas_in_sync
    text = (f"{replicas} replica{'' if replicas == 1 else 's'} "
            f"({', '.join(device_names(strategy))}), batch {per_replica * replicas}")
    return text if replicas == 1 else f"{text} ({per_replica} per replica)"


def compiled(strategy: tf.distribute.Strategy, build: Callable[[], keras.Model],
             loss: Any, learning_rate: float) -> keras.Model:
    """The model `build()` makes, compiled with Adam (gradients clipped to norm 1) and
    `loss`, both in the strategy's scope: the weights and the optimiser's slots are created
    there, mirrored on every replica, and Keras steps the model under that strategy."""
    with strategy.scope():
        model = build()
        model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss=loss)
    return model
