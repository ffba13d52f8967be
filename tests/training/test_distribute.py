"""Training under tf.distribute: the strategy chosen, the tf.data pipeline, and the
multi-GPU code path run on two logical CPUs (CI has no GPU)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import GROOVE, run

from humanizer import values
from humanizer.errors import HumanizerError


def test_devices_are_auto_cpu_or_gpu_numbers():
    assert values.devices("auto") == "auto" and values.devices(" CPU ") == "cpu"
    assert values.devices("1, 0,1") == "0,1"
    for bad in ("gpu", "0;1", "", "-1"):
        with pytest.raises(HumanizerError, match="--devices must be auto, cpu or GPU numbers"):
            values.devices(bad)


def test_train_refuses_bad_devices_in_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "train", tmp_path, "-o", tmp_path / "x.keras", "--name", "x",
                       "--devices", "gpu")
    assert code == 2 and "--devices must be auto, cpu or GPU numbers" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.train
def test_without_a_gpu_training_runs_on_the_cpu_as_one_replica():
    tf = pytest.importorskip("tensorflow")
    from humanizer.training.devices import choose_strategy, describe

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU: auto mirrors over it")
    for devices in ("auto", "cpu"):
        strategy = choose_strategy(devices)
        # the default strategy: Keras steps the model exactly as with no strategy at all
        assert strategy is tf.distribute.get_strategy() and not tf.distribute.has_strategy()
        assert strategy.num_replicas_in_sync == 1
        assert describe(strategy, 32) == "1 replica (CPU), batch 32"
    with pytest.raises(HumanizerError, match=r"--devices 0,1: no GPU 0 \(TensorFlow sees 0 GPUs"):
        choose_strategy("0,1")


@pytest.mark.train
def test_the_pipeline_feeds_every_crop_once_shuffled_by_the_seed_with_its_nan_targets():
    pytest.importorskip("tensorflow")
    from humanizer.training.pipeline import epoch_seed, training_data

    inputs = np.arange(70, dtype=np.float32).reshape(70, 1)
    targets = np.where(inputs % 3 == 0, np.nan, inputs / 10).astype(np.float32)

    def batches(seed, replicas=1, heads=1):
        data = training_data(inputs, [targets] * heads if heads > 1 else targets, 32,
                             replicas, seed)
        return [(x.numpy()[:, 0], [t.numpy()[:, 0] for t in (y if heads > 1 else (y,))])
                for x, y in data]

    once = batches(epoch_seed(0, 0))
    assert [len(x) for x, _ in once] == [32, 32, 6]  # the last batch short, as fit had it
    seen = np.concatenate([x for x, _ in once])
    assert sorted(seen.tolist()) == inputs[:, 0].tolist() and seen.tolist() != sorted(seen)
    for x, (y,) in once:  # each crop keeps its targets, NaN where none counts
        np.testing.assert_array_equal(y, np.where(x % 3 == 0, np.nan, x / np.float32(10)))
    again = batches(epoch_seed(0, 0))
    assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(once, again))
    assert not np.array_equal(seen, np.concatenate([x for x, _ in batches(epoch_seed(0, 1))]))
    x, (deviations, offsets) = batches(epoch_seed(0, 0), heads=2)[0]  # a head each
    np.testing.assert_array_equal(deviations, offsets)
    # on 3 replicas a batch of 96, the one crop no replica could share left out
    assert [len(x) for x, _ in batches(5, replicas=3)] == [69]
    with pytest.raises(HumanizerError, match="2 crops an epoch cannot be shared by 3"):
        training_data(inputs[:2], targets[:2], 32, 3, 0)


@pytest.mark.train
def test_the_multi_gpu_path_on_two_cpus_takes_the_steps_of_one_device_and_exports(tmp_path):
    """MirroredStrategy over two logical CPUs, 4 crops each, trains the model one replica
    trains on batches of 8: the masked losses count the cells of the whole batch."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf2onnx")
    script = Path(__file__).with_name("two_replicas.py")
    done = subprocess.run([sys.executable, str(script), str(GROOVE), str(tmp_path)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "training on 2 replicas (CPU:0, CPU:1), batch 8 (4 per replica)" in done.stdout
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["replicas"] == [1, 2]
    assert report["losses"][0] == pytest.approx(report["losses"][1], rel=1e-5)
    assert report["weights_differ"] < 1e-5
    assert Path(report["onnx"]).is_file() and report["parity"] < 1e-4
