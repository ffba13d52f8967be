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


def masked_mse(targets: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
    """Mean squared error over onset cells only.

    Targets carry NaN where there is no onset: those cells have no target. Without the
    mask a model trained on mostly-empty frames collapses to a constant.
    """
    mask = tf.math.logical_not(tf.math.is_nan(targets))
    safe_targets = tf.where(mask, targets, tf.zeros_like(targets))
    errors = tf.where(mask, tf.square(predictions - safe_targets), tf.zeros_like(targets))
    count = tf.maximum(tf.reduce_sum(tf.cast(mask, tf.float32)), 1.0)
    return tf.reduce_sum(errors) / count
