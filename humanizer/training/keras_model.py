"""The Keras style model (DESIGN section 3). Imports TensorFlow: training and export only.

Bidirectional LSTMs over frames, then a Dense layer applied to the 3-D tensor directly -
never TimeDistributed(Dense), which Keras 3 exports to a silently wrong ONNX graph.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from humanizer import encoding


def build_model(units: int = 96, layers: int = 2, dropout: float = 0.1,
                timing: bool = False) -> keras.Model:
    """(batch, time, 176) frames -> (batch, time, 88) velocity deviations (model units)
    and, with `timing`, a second head of (batch, time, 88) onset offsets (OFFSET_SCALE)."""
    frames = keras.Input(shape=(None, encoding.INPUTS), name="frames")
    x = frames
    for _ in range(layers):
        x = keras.layers.Bidirectional(
            keras.layers.LSTM(units, return_sequences=True, dropout=0.0), merge_mode="sum")(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    deviations = keras.layers.Dense(encoding.KEYS, name="deviations")(x)
    if not timing:
        return keras.Model(frames, deviations, name="humanizer_style")
    offsets = keras.layers.Dense(encoding.KEYS, name="offsets")(x)
    return keras.Model(frames, [deviations, offsets], name="humanizer_style")


def counted(mask: tf.Tensor) -> tf.Tensor:
    """How many cells count in the whole step's batch (at least 1): the replicas' counts
    summed (humanizer.training.devices). Each replica's loss is its own sum over that
    count, so the replicas' losses - which Keras adds up, a loss that is already one
    number being left unscaled - make the masked mean of the global batch, as one device
    training on it would. On one replica the sum is its own count."""
    count = tf.reduce_sum(tf.cast(mask, tf.float32))
    replica = tf.distribute.get_replica_context()
    if replica is not None:  # None: Keras building the model, outside a training step
        count = replica.all_reduce(tf.distribute.ReduceOp.SUM, count)
    return tf.maximum(count, 1.0)


def masked_mse(targets: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
    """Mean squared error over onset cells only.

    Targets carry NaN where there is no onset: those cells have no target. Without the
    mask a model trained on mostly-empty frames collapses to a constant.
    """
    mask = tf.math.logical_not(tf.math.is_nan(targets))
    safe_targets = tf.where(mask, targets, tf.zeros_like(targets))
    errors = tf.where(mask, tf.square(predictions - safe_targets), tf.zeros_like(targets))
    return tf.reduce_sum(errors) / counted(mask)


def build_note_model(inputs: int, units: int = 64, layers: int = 2, dropout: float = 0.1,
                     outputs: int = 2) -> keras.Model:
    """(batch, notes, inputs) note features -> (batch, notes, outputs): per note the
    velocity deviation (model units), the log of its spread, with 3 outputs the onset
    offset (OFFSET_SCALE) and with 4 the log2 of the length ratio. A Dense layer first
    mixes the features into the LSTM's width."""
    steps = keras.Input(shape=(None, inputs), name="notes")
    x = keras.layers.Dense(units, activation="relu")(steps)
    for _ in range(layers):
        x = keras.layers.Bidirectional(
            keras.layers.LSTM(units, return_sequences=True), merge_mode="sum")(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    predictions = keras.layers.Dense(outputs, name="predictions")(x)
    return keras.Model(steps, predictions, name="humanizer_note_style")


FEEL_WEIGHT = 0.3  # the timing and length heads' share of the loss beside the velocity's


def note_loss(targets: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
    """Masked MSE of the deviations, plus the Gaussian likelihood of the spread given the
    deviation predicted (which the spread's term does not move), plus, with a timing head,
    the masked MSE of the offsets and, with a length head, of the length ratios (each at
    FEEL_WEIGHT: the velocities stay what a style is first for). Targets are (..., 3):
    deviation, offset and length ratio, NaN where a note has none."""
    deviation, log_spread = predictions[..., 0], predictions[..., 1]
    loss = masked_mse(targets[..., 0], deviation)
    mask = tf.math.logical_not(tf.math.is_nan(targets[..., 0]))
    safe = tf.where(mask, targets[..., 0], tf.zeros_like(deviation))
    error = tf.square(safe - tf.stop_gradient(deviation))
    log_spread = tf.clip_by_value(log_spread, -5.0, 3.0)
    likelihood = 0.5 * error * tf.exp(-2.0 * log_spread) + log_spread
    loss += (0.1 * tf.reduce_sum(tf.where(mask, likelihood, tf.zeros_like(likelihood)))
             / counted(mask))
    for column in range(2, predictions.shape[-1]):
        loss += FEEL_WEIGHT * masked_mse(targets[..., column - 1], predictions[..., column])
    return loss
