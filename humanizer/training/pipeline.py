"""The crops as tf.data hands them to a model under any strategy (humanizer.training.devices).

An epoch's crops are cut in numpy (the trainers' random_crops) and fed as a tf.data
Dataset: shuffled, in global batches (--batch-size per replica, times the replicas: Keras
splits each batch over them), prefetched so that the next batch is ready while a step
runs. The targets stay as the crops made them, NaN where a note or cell has none: the
masked losses (humanizer.training.keras_model) skip those, on every replica alike.
Imports TensorFlow: training only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from humanizer.errors import HumanizerError


def epoch_seed(seed: int, epoch: int) -> int:
    """The shuffle's seed for an epoch of a run: each epoch its own order, and the same
    order again in a run with the same --seed (a derived seed, so that the crops' own
    random stream is not drawn from and the crops stay what they were)."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def _targets(targets: Any) -> Any:
    """One array, or a tuple of them for a model of several heads: tf.data would stack a
    list into one tensor, a tuple it keeps as the heads' targets."""
    return tuple(targets) if isinstance(targets, list) else targets


def training_data(inputs: np.ndarray, targets: Any, per_replica: int, replicas: int,
                  seed: int) -> tf.data.Dataset:
    """An epoch's crops (`targets`: an array, or a list of one per head) shuffled as a
    whole with `seed`, in global batches of `per_replica` times `replicas` - the last one
    short, as model.fit(x, y, batch_size, shuffle=True) batched them before - and
    prefetched. Every batch must split evenly over the replicas (Keras adds up the
    replicas' first batches to build the model, and an LSTM fails on a replica handed no
    crop): the fewer than `replicas` crops left over are left out, chosen at random by the
    shuffle - none on one replica."""
    even = len(inputs) - len(inputs) % replicas
    if not even:
        raise HumanizerError(f"{len(inputs)} crops an epoch cannot be shared by {replicas} "
                             "replicas: give more data or --crops-per-performance")
    data = tf.data.Dataset.from_tensor_slices((inputs, _targets(targets)))
    # the same order however often it is iterated (Keras under a strategy reads a batch
    # first to build the model): each epoch is a new dataset with its own seed
    data = data.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=False).take(even)
    return data.batch(per_replica * replicas).prefetch(tf.data.AUTOTUNE)


def prediction_data(inputs: np.ndarray, batch: int) -> tf.data.Dataset:
    """Fixed crops (validation) in order, in batches of `batch`, prefetched."""
    return tf.data.Dataset.from_tensor_slices(inputs).batch(batch).prefetch(tf.data.AUTOTUNE)


def replicas(model: Any) -> int:
    """How many replicas the strategy `model` was built under has (one on the CPU)."""
    return model.distribute_strategy.num_replicas_in_sync


def predict(model: Any, inputs: np.ndarray, per_replica: int) -> Any:
    """The model's outputs for fixed crops, in their order, `per_replica` crops at a time
    on each replica (a list of arrays for a model of several heads). The crops are padded
    with zero crops to a whole number for each replica - a replica handed none fails on an
    empty batch - and those crops' outputs are cut off again; on one replica none is."""
    count = len(inputs)
    padding = np.zeros((-count % replicas(model), *inputs.shape[1:]), dtype=inputs.dtype)
    data = prediction_data(np.concatenate([inputs, padding]), per_replica * replicas(model))
    outputs = model.predict(data, verbose=0)
    return [o[:count] for o in outputs] if isinstance(outputs, list) else outputs[:count]
