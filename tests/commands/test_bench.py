"""`humanizer bench`: every figure is measured - null only with a reason, where this
machine lacks what it needs (TensorFlow, jackd, /proc) - and the bench process never loads
TensorFlow. Figures are checked for sanity, never against targets (timing on a shared
2-core machine must not make tests flaky)."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from humanizer.commands.bench import inference, live, targets

REPO = Path(__file__).resolve().parents[1]
HAS_TENSORFLOW = importlib.util.find_spec("tensorflow") is not None
HAS_JACK = shutil.which("jackd") is not None and shutil.which("jack_lsp") is not None
HAS_PROC = Path("/proc/self/status").exists()
# section: [(whether this machine has what they need, figures)]
REQUIRED = {
    "inference": [(True, ["onnx_p50_ms", "onnx_p99_ms", "onnx_max_ms"]),
                  (HAS_TENSORFLOW, ["keras_predict_p50_ms", "tf_function_p50_ms",
                                    "speedup_vs_predict", "speedup_vs_tf_function"])],
    "offline": [(True, ["music_seconds_per_second", "lookahead_500ms_music_seconds_per_second",
                        "notes", "first_output_s"])],
    "daemon": [(HAS_JACK, ["ready_s"]), (HAS_JACK and HAS_PROC, ["rss_mb"])],
}
JITTER = ["p50_ms", "p99_ms", "max_ms", "notes", "messages_returned", "xruns", "late"]
RUN_BENCH = ("import sys\n"
             "from humanizer.cli import main\n"
             "code = main(['bench', '--json', '--seconds', '3'])\n"
             "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnx') if m in sys.modules]\n"
             "print('HEAVY', heavy, file=sys.stderr)\n"
             "sys.exit(code)\n")


def measured(section: dict, key: str) -> None:
    """A finite number: this machine has what the figure needs."""
    assert key in section, (key, section.get("why"))
    value = section[key]
    assert isinstance(value, int | float) and math.isfinite(value), (key, value,
                                                                     section.get("why"))


def explained(section: dict, key: str) -> None:
    """Null with a reason beside it: this machine lacks what the figure needs."""
    assert key in section and section[key] is None, (key, section.get(key))
    assert isinstance(section.get("why"), str) and section["why"], key


def check(section: dict, key: str, available: bool) -> None:
    (measured if available else explained)(section, key)


@pytest.fixture(scope="module")
def results() -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-c", RUN_BENCH], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), done.stderr


def test_bench_prints_one_json_object_with_every_figure(results):
    figures, _ = results
    for section, groups in REQUIRED.items():
        for available, keys in groups:
            for key in keys:
                check(figures[section], key, available)
    for period in live.PERIODS:
        for key in JITTER if HAS_JACK else JITTER[:3]:
            check(figures["jack"][f"period_{period}"], key, HAS_JACK)
    assert set(figures["targets"]) == {".".join(path) for path in targets.TARGETS}
    for name, verdict in figures["targets"].items():  # measured here: judged, not skipped
        if verdict["value"] is not None:
            assert verdict["met"] in (True, False), name


def test_figures_are_sane(results):
    figures, _ = results
    window = figures["inference"]
    if window["encoding"] == "pianoroll88":  # a frame style: 4 s context, 0.5 s ahead, 50 fps
        assert window["window_steps"] == 200 + 25 + 1
    else:  # a note-level style: the notes of its window
        assert window["window_steps"] > 10
    # the whole window (inputs, model, centring) costs more than the model alone
    assert window["onnx_p50_ms"] < window["window_p50_ms"] <= window["window_p99_ms"]
    assert window["window_over_onnx_p50"] == round(
        window["window_p50_ms"] / window["onnx_p50_ms"], 2)
    assert 0 < window["onnx_p50_ms"] <= window["onnx_p99_ms"] <= window["onnx_max_ms"]
    if HAS_TENSORFLOW:
        assert window["keras_predict_p50_ms"] > 0 and window["speedup_vs_predict"] > 0
    offline = figures["offline"]
    assert offline["music_seconds_per_second"] > 0 and offline["notes"] > 0
    assert 0 < offline["lookahead_500ms_music_seconds_per_second"]
    if not HAS_JACK:
        return
    for period in live.PERIODS:
        jitter = figures["jack"][f"period_{period}"]
        assert jitter["p50_ms"] <= jitter["p99_ms"] <= jitter["max_ms"] < 50
        assert jitter["notes"] > 10 and jitter["messages_returned"] > 0
    daemon = figures["daemon"]
    assert daemon["exit_status"] == 0 and 0 < daemon["ready_s"] < 30
    if HAS_PROC:
        assert 10 < daemon["rss_mb"] < 2000


def test_the_bench_process_never_loads_tensorflow(results):
    _, stderr = results
    assert "HEAVY []" in stderr


def test_keras_figures_are_null_with_a_reason_without_tensorflow(monkeypatch):
    real = inference.importlib.util.find_spec
    monkeypatch.setattr(inference.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorflow" else real(name, *a))
    figures = inference.measure_keras("piano", 226, count=1)
    assert figures["keras_predict_p50_ms"] is None and "TensorFlow" in figures["why"]


def test_verdicts_compare_each_figure_with_its_target():
    figures = {"inference": {"onnx_p99_ms": 4.9, "window_p99_ms": 2.1,
                             "window_over_onnx_p50": 2.0, "speedup_vs_predict": 9.0},
               "offline": {"music_seconds_per_second": None},
               "daemon": {"rss_mb": 80.0, "ready_s": 1.5}}
    verdicts = targets.verdicts(figures)
    assert verdicts["inference.onnx_p99_ms"]["met"] is True
    assert verdicts["inference.window_p99_ms"]["met"] is False
    assert verdicts["inference.window_over_onnx_p50"]["met"] is True  # at most twice
    assert verdicts["inference.speedup_vs_predict"]["met"] is False
    assert verdicts["offline.music_seconds_per_second"]["met"] is None
    assert verdicts["jack.period_64.p99_ms"]["met"] is None
    assert verdicts["daemon.ready_s"]["met"] is False  # strictly below 1.5 s


def test_jitter_matches_each_note_by_pitch_even_when_jack_dropped_one():
    sent = [(0.0, [0x90, 60, 80]), (0.1, [0x90, 62, 80]), (0.2, [0x90, 64, 80])]
    back = [(0.502, [0x90, 60, 70]), (0.703, [0x90, 64, 90])]  # 62 was lost on the way
    figures = live.jitter(sent, back, 0.5)
    assert figures["notes"] == 2
    assert figures["p50_ms"] == pytest.approx(2.5) and figures["max_ms"] == pytest.approx(3.0)


def test_bench_refuses_a_bad_streaming_time(capsys):
    from helpers import run

    code, _, err = run(capsys, "bench", "--seconds", "0")
    assert code == 2 and "--seconds" in err
