"""`humanizer bench`: every figure is measured or null with a reason, and the bench
process never loads TensorFlow. Figures are checked for sanity, never against targets
(timing on a shared 2-core machine must not make tests flaky)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from humanizer import bench

REPO = Path(__file__).resolve().parents[1]
REQUIRED = {
    "inference": ["window_frames", "onnx_p50_ms", "onnx_p99_ms", "keras_predict_p50_ms",
                  "speedup_vs_predict"],
    "offline": ["music_seconds_per_second", "first_output_s"],
    "daemon": ["rss_mb", "ready_s"],
}
JITTER = ["p50_ms", "p99_ms", "max_ms"]
RUN_BENCH = ("import sys\n"
             "from humanizer.cli import main\n"
             "code = main(['bench', '--json', '--seconds', '3'])\n"
             "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnx') if m in sys.modules]\n"
             "print('HEAVY', heavy, file=sys.stderr)\n"
             "sys.exit(code)\n")


def measured_or_explained(section: dict, key: str) -> None:
    """A number, or null with a reason beside it."""
    assert key in section, key
    value = section[key]
    if value is None:
        assert isinstance(section.get("why"), str) and section["why"], key
    else:
        assert isinstance(value, int | float) and math.isfinite(value), (key, value)


@pytest.fixture(scope="module")
def results() -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-c", RUN_BENCH], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), done.stderr


def test_bench_prints_one_json_object_with_every_figure(results):
    figures, _ = results
    for section, keys in REQUIRED.items():
        for key in keys:
            measured_or_explained(figures[section], key)
    for period in ("period_64", "period_256"):
        for key in JITTER:
            measured_or_explained(figures["jack"][period], key)
    assert set(figures["targets"]) == {".".join(path) for path in bench.TARGETS}


def test_figures_are_sane(results):
    figures, _ = results
    inference = figures["inference"]
    assert inference["window_frames"] == 200 + 25 + 1  # 4 s context, 0.5 s ahead, 50 fps
    assert 0 < inference["onnx_p50_ms"] <= inference["onnx_p99_ms"] <= inference["onnx_max_ms"]
    if inference["keras_predict_p50_ms"] is not None:
        assert inference["keras_predict_p50_ms"] > 0 and inference["speedup_vs_predict"] > 0
    offline = figures["offline"]
    assert offline["music_seconds_per_second"] > 0 and offline["notes"] > 0
    for period in ("period_64", "period_256"):
        jitter = figures["jack"][period]
        if jitter["p50_ms"] is not None:
            assert jitter["p50_ms"] <= jitter["p99_ms"] <= jitter["max_ms"] < 50
            assert jitter["notes"] > 10 and jitter["messages_returned"] > 0
    daemon = figures["daemon"]
    if daemon["rss_mb"] is not None:
        assert 10 < daemon["rss_mb"] < 2000 and 0 < daemon["ready_s"] < 30
        assert daemon["exit_status"] == 0


def test_the_bench_process_never_loads_tensorflow(results):
    _, stderr = results
    assert "HEAVY []" in stderr


def test_keras_figures_are_null_with_a_reason_without_tensorflow(monkeypatch):
    real = bench.importlib.util.find_spec
    monkeypatch.setattr(bench.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorflow" else real(name, *a))
    figures = bench.measure_keras("piano", 226, count=1)
    assert figures["keras_predict_p50_ms"] is None and "TensorFlow" in figures["why"]


def test_verdicts_compare_each_figure_with_its_target():
    figures = {"inference": {"onnx_p99_ms": 4.9, "speedup_vs_predict": 9.0},
               "offline": {"music_seconds_per_second": None},
               "daemon": {"rss_mb": 80.0, "ready_s": 1.5}}
    verdicts = bench.verdicts(figures)
    assert verdicts["inference.onnx_p99_ms"]["met"] is True
    assert verdicts["inference.speedup_vs_predict"]["met"] is False
    assert verdicts["offline.music_seconds_per_second"]["met"] is None
    assert verdicts["jack.period_64.p99_ms"]["met"] is None
    assert verdicts["daemon.ready_s"]["met"] is False  # strictly below 1.5 s


def test_jitter_matches_each_note_by_pitch_even_when_jack_dropped_one():
    sent = [(0.0, [0x90, 60, 80]), (0.1, [0x90, 62, 80]), (0.2, [0x90, 64, 80])]
    back = [(0.502, [0x90, 60, 70]), (0.703, [0x90, 64, 90])]  # 62 was lost on the way
    figures = bench.jitter(sent, back, 0.5)
    assert figures["notes"] == 2
    assert figures["p50_ms"] == pytest.approx(2.5) and figures["max_ms"] == pytest.approx(3.0)


def test_bench_refuses_a_bad_streaming_time(capsys):
    from conftest import run

    code, _, err = run(capsys, "bench", "--seconds", "0")
    assert code == 2 and "--seconds" in err
