"""`humanizer bench`: speed and memory on this machine, measured in one run (DESIGN 7).

Four groups of figures, each against a target:
- inference: one live window (the model's context + 500 ms lookahead, the window the
  daemon runs) on one onnxruntime thread, beside the same architecture through Keras
  `model.predict` and a `tf.function` - run in a subprocess, so this process never loads
  TensorFlow (the runtime path must not);
- offline: seconds of music humanized per second on a long piano performance, with the
  whole file as context and at 500 ms lookahead, and the wall time of `humanizer humanize`
  from start to its output file;
- jack: output time - input time - latency through a real JACK server (its own dummy
  server per period size) and the daemon as a subprocess, timed by JACK's delivery;
- daemon: its RSS after streaming, and the time from start to ports ready.

A figure that cannot be measured here is null, with a "why" beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import importlib.util
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from humanizer import encoding, models
from humanizer.notes import Note

LIVE_LOOKAHEAD = 0.5  # seconds: the daemon's default latency
RATE = 48000
PERIODS = (64, 256)
DAEMON_LATENCY = "500ms"
SECONDS_DEFAULT = 12.0  # streaming time of the 64-frame run; `--seconds 60` for the full RSS
SHORT_RUN = 4.0  # streaming time of the 256-frame run (jitter only)
LOOKAHEAD_SECONDS = 120.0  # music measured at 500 ms lookahead (20x slower than whole-file)
TARGETS = {  # (section, figure): (comparison, value) from the issue
    ("inference", "onnx_p99_ms"): ("<", 5.0),
    ("inference", "speedup_vs_predict"): (">=", 10.0),
    ("offline", "music_seconds_per_second"): (">=", 300.0),
    ("jack", "period_64", "p99_ms"): ("<=", 2 * 64 / RATE * 1000),
    ("jack", "period_256", "p99_ms"): ("<=", 2 * 256 / RATE * 1000),
    ("daemon", "rss_mb"): ("<", 150.0),
    ("daemon", "ready_s"): ("<", 1.5),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--style", default=models.DEFAULT_STYLE, help="style to measure")
    parser.add_argument("--seconds", type=float, default=SECONDS_DEFAULT,
                        help=f"seconds of streaming into the daemon before its RSS is read "
                             f"(default {SECONDS_DEFAULT:g}; 60 for the full figure)")
    parser.add_argument("--data", default=str(Path("..") / "shared" / "data"),
                        help="data folder with asap/ for a long piano performance "
                             "(default ../shared/data; a generated part otherwise)")


# -- small helpers ---------------------------------------------------------------------------
def unavailable(why: str, *keys: str) -> dict:
    """Figures that cannot be measured here: each null, and the reason beside them."""
    return {**{key: None for key in keys}, "why": why}


def percentiles(seconds: list[float] | np.ndarray, prefix: str = "") -> dict:
    """p50/p99/max in milliseconds, rounded to microseconds."""
    values = np.asarray(seconds, dtype=np.float64) * 1000
    return {f"{prefix}p50_ms": round(float(np.percentile(values, 50)), 3),
            f"{prefix}p99_ms": round(float(np.percentile(values, 99)), 3),
            f"{prefix}max_ms": round(float(values.max()), 3)}


def time_calls(call: Callable[[], object], count: int, gap: float = 0.0,
               warmup: int = 5) -> np.ndarray:
    """Seconds per call; `gap` sleeps between calls, as the daemon's sporadic inferences
    leave the CPU idle (and caches cold) between two windows."""
    for _ in range(warmup):
        call()
    durations = np.empty(count)
    for i in range(count):
        if gap:
            time.sleep(gap)
        started = time.perf_counter()
        call()
        durations[i] = time.perf_counter() - started
    return durations


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    """What the figures were measured on."""
    import onnxruntime

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gpu = any(Path(p).exists() for p in ("/dev/nvidia0", "/dev/kfd"))
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": "found" if gpu else "none",
            "python": platform.python_version(), "onnxruntime": onnxruntime.__version__,
            "platform": platform.platform(), "load_before": load()}


def memory_mb(pid: int) -> dict:
    """A process's resident memory from /proc (Linux; empty elsewhere), in MB.

    VmRSS counts the JACK server's shared memory segment (the server's port buffers,
    ~105 MB on a dummy server) once per libjack copy that maps it - rtmidi's bundled
    libjack and the system one the daemon's server watch uses - although those pages
    belong to the server and cost the daemon nothing. So the daemon's own figure is
    RssAnon + RssFile (its heap and its libraries), and the rest is reported beside it.
    """
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(value.split()[0]) / 1024
    except OSError:
        return {}
    if len(fields) < 4:
        return {}
    return {"rss_mb": round(fields["RssAnon"] + fields["RssFile"], 1),
            "rss_anon_mb": round(fields["RssAnon"], 1),
            "vmrss_mb": round(fields["VmRSS"], 1),
            "jack_shared_memory_mb": round(fields["RssShmem"], 1)}


# -- the music played -------------------------------------------------------------------------
def piano_part(seconds: float, speed: float = 1.0) -> list[Note]:
    """The bundled example piano part, repeated for `seconds` and played `speed` times
    faster: a realistic part (bass, broken chords, melody) of any length."""
    from humanizer.examples.make import piano_part as example

    one = example()
    length = max(note.end for note in one)
    notes = []
    for repeat in range(math.ceil(seconds * speed / length)):
        for note in one:
            start = (note.start + repeat * length) / speed
            if start < seconds:
                notes.append(Note(note.pitch, note.velocity, start,
                                  (note.end + repeat * length) / speed, note.channel))
    return sorted(notes, key=lambda note: (note.start, note.pitch))


# -- inference ------------------------------------------------------------------------------
def window_frames(contract) -> int:
    """Frames of one live window, as Engine.predict_due builds it."""
    return (int(np.ceil(contract.context_seconds * contract.fps))
            + int(round(LIVE_LOOKAHEAD * contract.fps)) + 1)


def session(path: Path, threads: int, spinning: bool):
    """A session like the engine's, with a chosen thread count and spinning policy."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning",
                                     "1" if spinning else "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def measure_inference(style: str, count: int) -> dict:
    """ONNX p50/p99 of one live window on one thread (the daemon's setting), and the
    tuning DESIGN asks to measure: more threads, spinning threads, and whole
    predict_due calls for one note vs eight notes due together (batched in one run)."""
    engine = models.load(style, threads=1)
    width = window_frames(engine.contract)
    notes = piano_part(30.0)
    frames = encoding.encode(notes, 500, width, engine.fps)[None]
    result = {"window_frames": width, "window_seconds": round(width / engine.fps, 3),
              "threads": 1, "calls": count}
    result.update(percentiles(time_calls(lambda: engine.run(frames), count, gap=0.005),
                              "onnx_"))
    tuning = {}
    path = models.find(style)
    for threads, spinning in ((1, False), (2, False), (2, True)):
        run = session(path, threads, spinning).run
        feed = {engine.session.get_inputs()[0].name: frames}
        for gap in (0.0, 0.005):
            times = time_calls(lambda run=run, feed=feed: run(None, feed), count // 2, gap=gap)
            name = f"threads{threads}_spin{int(spinning)}_{'sporadic' if gap else 'back_to_back'}"
            tuning[name] = {k: v for k, v in percentiles(times).items() if k != "max_ms"}
    result["tuning"] = tuning
    result["batching"] = measure_batching(engine, notes)
    return result


def measure_batching(engine, notes: list[Note]) -> dict:
    """Engine.predict_due as the daemon calls it: eight notes due together in one call
    (one batched run) against eight calls of one note each."""
    starts = np.array([note.start for note in notes])
    due = np.nonzero(starts >= 10.0)[0][:8]
    heard = [note for note in notes if note.start <= starts[due[-1]] + LIVE_LOOKAHEAD]
    one = time_calls(lambda: engine.predict_due(heard, due[:1], LIVE_LOOKAHEAD), 40, 0.005)
    eight = time_calls(lambda: engine.predict_due(heard, due, LIVE_LOOKAHEAD), 40, 0.005)
    onsets = len(set(encoding.frame_index(starts[due], engine.fps).tolist()))
    return {"notes": len(due), "distinct_onset_frames": onsets,
            "one_note_p50_ms": round(float(np.median(one)) * 1000, 3),
            "together_p50_ms": round(float(np.median(eight)) * 1000, 3),
            "one_by_one_p50_ms": round(float(np.median(one)) * 1000 * len(due), 3)}


# -- Keras, in a subprocess --------------------------------------------------------------------
def architecture(contract) -> dict:
    """units/layers from the model card's training settings, if it has them (otherwise
    the worker reads them from the ONNX LSTM weights)."""
    training = contract.metrics.get("training") if isinstance(contract.metrics, dict) else None
    if isinstance(training, dict) and {"units", "layers"} <= set(training):
        return {"units": int(training["units"]), "layers": int(training["layers"])}
    return {}


def measure_keras(style: str, width: int, count: int) -> dict:
    """The same architecture through Keras, in a child process (TensorFlow never enters
    this one); null with a reason when TensorFlow is not installed."""
    keys = ("keras_predict_p50_ms", "tf_function_p50_ms")
    if importlib.util.find_spec("tensorflow") is None:
        return unavailable("TensorFlow is not installed (pip install 'humanizer[train]')",
                           *keys)
    spec = {"model": str(models.find(style)), "width": width, "count": count,
            **architecture(models.describe(style))}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    try:
        done = subprocess.run([sys.executable, "-m", "humanizer.bench", "--keras-worker",
                               json.dumps(spec)], capture_output=True, text=True,
                              timeout=180, env=env)
    except subprocess.TimeoutExpired:
        return unavailable("the Keras measurement took more than 180 s", *keys)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return unavailable(f"the Keras measurement failed: {tail[:200]}", *keys)
    return json.loads(lines[-1])


def infer_architecture(path: str) -> dict:
    """units and layers from an ONNX graph: one LSTM node per layer, R is (dirs, 4h, h)."""
    import onnx

    graph = onnx.load(path).graph
    weights = {w.name: list(w.dims) for w in graph.initializer}
    lstms = [node for node in graph.node if node.op_type == "LSTM"]
    return {"units": int(weights[lstms[0].input[2]][-1]), "layers": len(lstms)}


def keras_worker(spec: dict) -> dict:
    """Runs in the child process: Keras `model.predict` and a `tf.function` on one live
    window, one thread each (as onnxruntime gets). Random weights cost the same time."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from humanizer.training.model import build_model

    shape = {k: spec[k] for k in ("units", "layers") if k in spec} or infer_architecture(
        spec["model"])
    model = build_model(shape["units"], shape["layers"], dropout=0.0)
    rng = np.random.default_rng(0)
    frames = (rng.random((1, spec["width"], encoding.INPUTS)) < 0.03).astype(np.float32)
    predict = time_calls(lambda: model.predict(frames, verbose=0), spec["count"], warmup=3)
    graph = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                        input_signature=[tf.TensorSpec([None, None, encoding.INPUTS])])
    tensor = tf.constant(frames)
    function = time_calls(lambda: graph(tensor).numpy(), spec["count"] * 3, warmup=3)
    return {"keras_units": shape["units"], "keras_layers": shape["layers"],
            "keras_threads": 1, "tensorflow": tf.__version__,
            "keras_predict_p50_ms": round(float(np.median(predict)) * 1000, 3),
            "tf_function_p50_ms": round(float(np.median(function)) * 1000, 3)}


# -- offline ----------------------------------------------------------------------------------
def long_performance(data: Path) -> Path | None:
    """The largest performance MIDI file of ASAP (scores excluded): the longest piece."""
    folder = data / "asap"
    if not folder.is_dir():
        return None
    files = [Path(p) for p in glob.glob(str(folder / "**" / "*.mid"), recursive=True)
             if not p.endswith("midi_score.mid")]
    return max(files, key=lambda p: p.stat().st_size, default=None)


def measure_offline(style: str, data: Path, work: Path) -> dict:
    """Throughput of the offline path (as `humanizer humanize` runs it) and the wall time
    of the command from start to its output file."""
    from humanizer.notes import midi_from_notes, read, write_atomic
    from humanizer.offline import Humanizer

    source = long_performance(data)
    result = {}
    if source is None:
        source = work / "generated-long-piano.mid"
        write_atomic(midi_from_notes(piano_part(1200.0)), source)
        result["source_note"] = f"no ASAP under {data}: a generated 20-minute piano part"
    note_file = read(source)
    music = max(note.end for note in note_file.notes)
    result.update(file=str(source), notes=len(note_file.notes),
                  music_seconds=round(music, 1), threads=2)
    for key, lookahead in (("", None), ("lookahead_500ms_", LIVE_LOOKAHEAD)):
        humanizer = Humanizer(style, 1.0, lookahead)
        humanizer.velocities(read(models.PACKAGED.parent / "examples" / "piano-part.mid"))
        part = note_file
        if lookahead is not None:  # one window per onset: the first minutes tell the rate
            part = replace(note_file, notes=[n for n in note_file.notes
                                             if n.start < LOOKAHEAD_SECONDS])
            result["lookahead_music_seconds"] = round(max(n.end for n in part.notes), 1)
        started = time.perf_counter()
        humanizer.velocities(part)
        elapsed = time.perf_counter() - started
        length = max(n.end for n in part.notes)
        result[f"{key}music_seconds_per_second"] = round(length / elapsed, 1)
    result.update(first_output(style, work))
    return result


def first_output(style: str, work: Path) -> dict:
    """`humanizer humanize` on the example piano part: start to output file, wall time."""
    from humanizer.examples.make import FOLDER

    target = work / "first-output.mid"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "humanizer.cli", "humanize",
                                str(FOLDER / "piano-part.mid"), "-o", str(target), "--style",
                                style], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not target.exists() and process.poll() is None:
        time.sleep(0.002)
    elapsed = time.perf_counter() - started
    process.wait()
    if not target.exists():
        return unavailable(f"humanize failed: {process.stderr.read().decode()[:200]}",
                           "first_output_s")
    return {"first_output_s": round(elapsed, 3), "first_output_file": "piano-part.mid"}


# -- JACK -----------------------------------------------------------------------------------
class NoJack(Exception):
    """No JACK server can be had here; the message says why."""


def clean_shm(name: str) -> None:
    """A server killed hard leaves shared memory that stops it from starting again."""
    for path in glob.glob(f"/dev/shm/jack_{name}_*") + glob.glob(f"/dev/shm/jack_sem.*_{name}_*"):
        with contextlib.suppress(OSError):
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def _answers(env: dict) -> bool:
    return subprocess.run(["jack_lsp"], env=env, capture_output=True, timeout=10).returncode == 0


class Server:
    """A private dummy-backend JACK server. Its log is kept to count xruns: a client that
    misses a period loses that period's MIDI, which is JACK's loss, not the daemon's."""

    def __init__(self, period: int, name: str | None = None):
        """`name` is for a server that may be killed: JACK keeps a killed server's slot in
        its registry (8 in all) and gives it back only to a server of the same name."""
        if shutil.which("jackd") is None or shutil.which("jack_lsp") is None:
            raise NoJack("jackd is not installed (apt-get install jackd2)")
        self.name = name or f"humanizer-bench-{period}-{os.getpid()}"
        self.env = {**os.environ, "JACK_DEFAULT_SERVER": self.name,
                    "JACK_NO_AUDIO_RESERVATION": "1"}
        self.log = tempfile.TemporaryFile(mode="w+")
        clean_shm(self.name)
        self.process = subprocess.Popen(["jackd", "-n", self.name, "-d", "dummy", "-r",
                                         str(RATE), "-p", str(period)], env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_ready(self) -> None:
        for _ in range(100):
            if self.process.poll() is not None:
                raise NoJack(f"jackd exited with status {self.process.returncode}")
            if _answers(self.env):
                return
            time.sleep(0.1)
        raise NoJack("jackd did not answer within 10 s")

    def xruns(self) -> int:
        """Clients that missed a period so far (JACK drops their MIDI for that period)."""
        self.log.flush()
        self.log.seek(0)
        return sum("was not finished" in line for line in self.log)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        clean_shm(self.name)


@contextlib.contextmanager
def jack_server(period: int, name: str | None = None) -> Iterator[Server]:
    """A private server, made this process's default JACK server while it runs."""
    server = Server(period, name)
    before = os.environ.get("JACK_DEFAULT_SERVER")
    try:
        server.wait_ready()
        os.environ["JACK_DEFAULT_SERVER"] = server.name
        yield server
    finally:
        if before is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = before
        server.stop()


def free_port_pair() -> int:
    """A loopback TCP port p with p + 1 free too (control and events)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as other:
            try:
                other.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise OSError("no free pair of TCP ports on 127.0.0.1")


class Listener:
    """A JACK MIDI input recording (JACK delivery time, message). It polls and corrects
    each arrival with the daemon's own ArrivalClock, so the times are JACK's, not the
    poll's."""

    def __init__(self, client: str):
        import rtmidi

        from humanizer.daemon.ports import ArrivalClock

        self.midi_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, client, queue_size_limit=1 << 16)
        self.midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
        self.midi_in.open_virtual_port("in")
        self.port = f"{client}:in"
        self.received: list[tuple[float, list[int]]] = []
        self._clock = ArrivalClock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            item = self.midi_in.get_message()
            if item is None:
                time.sleep(0.0002)
                continue
            self.received.append((self._clock.arrival(item[1], time.monotonic()), item[0]))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.midi_in.close_port()
        self.midi_in.delete()


class Daemon:
    """`humanizer serve` in a subprocess; `ready_s` is start to the banner, which the
    daemon prints once its ports are open."""

    def __init__(self, style: str, env: dict):
        self.control = f"tcp://127.0.0.1:{free_port_pair()}"
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "humanizer.cli", "serve", "--api", "jack", "--latency",
             DAEMON_LATENCY, "--style", style, "--control", self.control],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        banner = self.process.stdout.readline()
        self.ready_s = round(time.perf_counter() - started, 3)
        if "listening" not in banner:
            self.stop()
            raise NoJack(f"the daemon did not start: {banner.strip()} "
                         f"{self.process.stderr.read().strip()[-200:]}")

    def ask(self, request: dict) -> dict:
        from humanizer.daemon.cli import ask

        return ask(self.control, request, 5.0)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        return self.process.returncode


def schedule(notes: list[Note]) -> list[tuple[float, list[int]]]:
    """The notes as timed MIDI messages; note-offs first at equal times."""
    events = [(n.start, 1, [0x90 | n.channel, n.pitch, n.velocity]) for n in notes]
    events += [(n.end, 0, [0x80 | n.channel, n.pitch, 0]) for n in notes]
    return [(t, m) for t, _, m in sorted(events, key=lambda e: (e[0], e[1]))]


def play(out, events: list[tuple[float, list[int]]]) -> None:
    """Send each message at its time (sleeping between them)."""
    origin = time.monotonic()
    for at, message in events:
        wait = origin + at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        out.send_message(message)


def note_ons(received: list) -> dict[tuple[int, int], np.ndarray]:
    """Arrival times of note-ons by (status, pitch)."""
    found: dict[tuple[int, int], list[float]] = {}
    for t, m in received:
        if len(m) == 3 and m[0] & 0xF0 == 0x90 and m[2] > 0:
            found.setdefault((m[0], m[1]), []).append(t)
    return {key: np.array(times) for key, times in found.items()}


def jitter(echo: list, back: list, latency: float) -> dict:
    """output - input - latency per note-on. Each output note-on is matched with the input
    note-on of the same pitch nearest to it, so a message JACK dropped in an xrun cannot
    shift every match after it (the part never repeats a pitch within 100 ms)."""
    heard = note_ons(echo)
    errors = []
    for key, times in note_ons(back).items():
        if key in heard:
            for t in times:
                gaps = t - latency - heard[key]
                errors.append(gaps[np.argmin(np.abs(gaps))])
    errors = [e for e in errors if abs(e) < 0.05]
    if not errors:
        return unavailable("no note came back from the daemon", "p50_ms", "p99_ms", "max_ms")
    return {**percentiles(errors), "min_ms": round(float(min(errors)) * 1000, 3),
            "notes": len(errors)}


def stream_through_daemon(style: str, period: int, seconds: float) -> dict:
    """One daemon on a private server: ready time, the jitter of a piano part streamed for
    `seconds`, the daemon's RSS and counters at the end."""
    import rtmidi

    with jack_server(period) as server:
        env = server.env
        daemon = Daemon(style, env)
        tag = f"bench-{os.getpid()}"
        out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, f"{tag}-out")
        listeners: list[Listener] = []
        try:
            out.open_virtual_port("out")
            echo, back = Listener(f"{tag}-echo"), Listener(f"{tag}-back")
            listeners += [echo, back]
            for source, target in ((f"{tag}-out:out", "humanizer-in:in"),
                                   (f"{tag}-out:out", echo.port),
                                   ("humanizer-out:out", back.port)):
                subprocess.run(["jack_connect", source, target], env=env, check=True,
                               capture_output=True)
            time.sleep(0.2)
            streaming = time.perf_counter()
            events = schedule(piano_part(seconds, speed=2.0))
            play(out, events)
            sent = len(events)
            memory = memory_mb(daemon.process.pid) or unavailable(
                "no /proc/PID/status on this system", "rss_mb")
            streamed = time.perf_counter() - streaming
            time.sleep(0.5 + 0.3)  # the latency, then the last notes' way back
            stats = daemon.ask({"cmd": "stats"})
            result = {"period_frames": period, "messages_sent": sent,
                      "messages_echoed": len(echo.received),
                      "messages_returned": len(back.received), "xruns": server.xruns(),
                      "period_ms": round(period / RATE * 1000, 3),
                      **jitter(echo.received, back.received, 0.5),
                      "late": stats["late"], "daemon_inference_ms_p99": stats[
                          "inference_ms_p99"]}
            daemon_figures = {"ready_s": daemon.ready_s, **memory,
                              "streamed_s": round(streamed, 1), "notes_in": stats["notes_in"]}
        finally:
            for listener in listeners:
                listener.close()
            out.close_port()
            out.delete()
            code = daemon.stop()
        daemon_figures["exit_status"] = code
        return {"jack": result, "daemon": daemon_figures}


def measure_jack(style: str, seconds: float) -> tuple[dict, dict]:
    """Both period sizes; the daemon figures come from the 64-frame run (the longer)."""
    jack, daemon = {}, None
    keys = ("p50_ms", "p99_ms", "max_ms")
    for period in PERIODS:
        run_for = seconds if period == PERIODS[0] else min(seconds, SHORT_RUN)
        try:
            measured = stream_through_daemon(style, period, run_for)
        except (NoJack, OSError, subprocess.SubprocessError) as error:
            jack[f"period_{period}"] = unavailable(str(error), *keys)
            continue
        jack[f"period_{period}"] = measured["jack"]
        if daemon is None:
            daemon = measured["daemon"]
        else:
            daemon[f"ready_s_period_{period}"] = measured["daemon"]["ready_s"]
    if daemon is None:
        daemon = unavailable(jack[f"period_{PERIODS[0]}"]["why"], "rss_mb", "ready_s")
    return jack, daemon


# -- the run --------------------------------------------------------------------------------
def figure(results: dict, path: tuple[str, ...]) -> object:
    for key in path:
        results = results.get(key) if isinstance(results, dict) else None
    return results


def verdicts(results: dict) -> dict:
    """Each target with its measured value and whether it was met (None: not measured)."""
    out = {}
    for path, (comparison, target) in TARGETS.items():
        value = figure(results, path)
        met = None
        if isinstance(value, int | float):
            met = {"<": value < target, "<=": value <= target, ">=": value >= target}[comparison]
        out[".".join(path)] = {"value": value, "target": f"{comparison} {target:g}", "met": met}
    return out


def measure_all(args: argparse.Namespace) -> dict:
    results: dict = {"machine": machine()}
    clock = time.perf_counter()
    inference = measure_inference(args.style, count=200)
    inference.update(measure_keras(args.style, inference["window_frames"], count=15))
    inference["bench_s"] = round(time.perf_counter() - clock, 1)
    predict = inference.get("keras_predict_p50_ms")
    inference["speedup_vs_predict"] = (round(predict / inference["onnx_p50_ms"], 1)
                                       if predict else None)
    if predict and inference.get("tf_function_p50_ms"):
        inference["speedup_vs_tf_function"] = round(
            inference["tf_function_p50_ms"] / inference["onnx_p50_ms"], 1)
    results["inference"] = inference
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="humanizer-bench-") as work:
        results["offline"] = measure_offline(args.style, Path(args.data), Path(work))
    results["offline"]["bench_s"] = round(time.perf_counter() - clock, 1)
    clock = time.perf_counter()
    results["jack"], results["daemon"] = measure_jack(args.style, args.seconds)
    results["jack"]["bench_s"] = round(time.perf_counter() - clock, 1)
    results["machine"]["load_after"] = load()
    results["targets"] = verdicts(results)
    return results


def report(results: dict) -> str:
    """The figures against their targets, one line each."""
    lines = [f"humanizer bench on {results['machine']['cpu']} "
             f"({results['machine']['cores']} cores), load {results['machine']['load_before']}"]
    for name, verdict in results["targets"].items():
        mark = {True: "ok", False: "MISSED", None: "not measured"}[verdict["met"]]
        lines.append(f"  {name:<32} {verdict['value']!s:>10}   target {verdict['target']:<8}"
                     f" {mark}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.seconds <= 0:
        from humanizer.errors import HumanizerError

        raise HumanizerError("--seconds must be positive")
    results = measure_all(args)
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == "__main__":  # the Keras worker (a child process of `humanizer bench`)
    if sys.argv[1:2] == ["--keras-worker"]:
        print(json.dumps(keras_worker(json.loads(sys.argv[2]))))
