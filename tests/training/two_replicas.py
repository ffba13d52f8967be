"""`python two_replicas.py DATA FOLDER`: the multi-GPU code path on a machine without GPUs.

The CPU is split into two logical devices (which TensorFlow allows only before it starts,
hence a process of its own), and a tiny note-level style is trained twice with the same
seed and global batch of 8: on the default strategy (one replica, as on a CPU) and under
MirroredStrategy over the two devices (4 crops per replica, as on two GPUs). Dropout is
off, so that both should take the same steps. The mirrored model is then exported to
ONNX. Prints a JSON report for test_distribute.py.
"""

import json
import sys
from pathlib import Path

import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from humanizer.export.onnx_export import export_model  # noqa: E402
from humanizer.training import devices  # noqa: E402
from humanizer.training.note_train import NoteTrainConfig, train_notes  # noqa: E402
from humanizer.training.ship import contract_from  # noqa: E402


def trained(data: str, folder: Path, name: str, strategy: tf.distribute.Strategy) -> dict:
    """The sidecar and saved weights of a tiny run under `strategy`."""
    devices.choose_strategy = lambda _: strategy
    per_replica = 8 // strategy.num_replicas_in_sync
    output = folder / f"{name}.keras"
    sidecar = train_notes(NoteTrainConfig(
        data=[data], output=str(output), name=name, instrument="drums", units=8, layers=1,
        dropout=0.0, crop_notes=48, limit=8, crops_per_performance=2, epochs=2, patience=5,
        batch_size=per_replica, transpose=0))
    weights = keras.models.load_model(output, compile=False).get_weights()
    return {"sidecar": sidecar, "weights": weights, "path": output}


def main(data: str, folder: Path) -> None:
    one = trained(data, folder, "one", tf.distribute.get_strategy())
    two = trained(data, folder, "two", tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    exported = export_model(two["path"], folder / "two.onnx", contract_from(two["sidecar"]))
    print(json.dumps({
        "replicas": [one["sidecar"]["training"]["replicas"],
                     two["sidecar"]["training"]["replicas"]],
        "losses": [one["sidecar"]["metrics"]["validation"]["loss"],
                   two["sidecar"]["metrics"]["validation"]["loss"]],
        "weights_differ": max(float(np.abs(a - b).max())
                              for a, b in zip(one["weights"], two["weights"])),
        "onnx": str(exported.path), "parity": exported.parity_error}))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
