"""A folder on a cluster: `humanize FOLDER --cluster ADDRESS` hands the files to the workers
of a Dask cluster (the `cluster` extra).

Why Dask rather than Ray: it is pure Python and light (the extra adds a few MB where Ray's
wheel alone is hundreds, with its own object store and dashboard); its workers are plain
processes started with one command on each machine (`dask worker ADDRESS`); and it moves
Python bytes to and from them, so no shared storage is needed.

What moves: each file's bytes go to a worker with the settings and come back humanized, and
this machine writes every output (atomically, as a local run does) - the workers read and
write no shared folder. Styles installed with the package are loaded by name on each
worker; a style given as an .onnx file is sent along once (broadcast), so a worker needs no
copy of it. Each worker process builds its Humanizer once per set of settings, as a local
worker does, and a file comes out byte for byte as a local run makes it. At most a few
files per worker thread are in flight, so a hundred thousand files never sit in the
scheduler's memory at once.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from humanizer import models
from humanizer.children import die_with_parent
from humanizer.errors import HumanizerError
from humanizer.folder_run import Outcome, humanize_one
from humanizer.notes import write_bytes_atomic
from humanizer.offline import Humanizer
from humanizer.summary import Printing

IN_FLIGHT_PER_THREAD = 4  # files handed to each worker thread ahead of its results
CONNECT_SECONDS = 20

# on a worker: one Humanizer per set of settings, with its style copies' original paths
_built: dict[str, tuple[Humanizer, dict[str, str]]] = {}
_building = threading.Lock()
# a file's summary is caught by redirecting stdout, which is the whole process's: threads
# of one worker take turns (start workers with --nthreads 1 and --nworkers N to use cores)
_one_at_a_time = threading.Lock()


def dask():  # noqa: ANN201 - dask.distributed, loaded only for a cluster run
    try:
        import dask.distributed as distributed
    except ModuleNotFoundError:
        raise HumanizerError("--cluster needs Dask: pip install 'midi-humanizer[cluster]' "
                             "(on this machine and on every worker)") from None
    return distributed


def style_files(options: dict) -> dict[str, bytes]:
    """The styles the options give as files (not installed names), with their bytes."""
    named = [options.get("style"), *(options.get("channel_styles") or {}).values()]
    return {style: models.find(style).read_bytes() for style in named
            if style and (style.endswith(".onnx") or os.sep in style)}


_styles_folder: list[Path] = []  # this worker process's own, made the first time


def on_worker(options: dict, files: dict[str, bytes]) -> tuple[dict, dict[str, str]]:
    """The options with each style file replaced by its copy in this worker process's own
    private folder (a shared one in /tmp could hold anybody's file under a style's name),
    and each copy's path -> the path the user gave."""
    if not _styles_folder:
        _styles_folder.append(Path(tempfile.mkdtemp(prefix="humanizer-cluster-styles-")))
        atexit.register(shutil.rmtree, _styles_folder[0], True)
    local = {}
    for original, data in files.items():
        path = _styles_folder[0] / f"{hashlib.sha256(data).hexdigest()[:20]}.onnx"
        if not path.exists():
            write_bytes_atomic(data, path)
        local[original] = str(path)
    moved = dict(options)
    if moved.get("style") in local:
        moved["style"] = local[moved["style"]]
    moved["channel_styles"] = {channel: local.get(style, style) for channel, style
                               in (moved.get("channel_styles") or {}).items()}
    return moved, {copy: original for original, copy in local.items()}


def humanizer_for(settings: tuple[dict, dict[str, bytes]]
                  ) -> tuple[Humanizer, dict[str, str]]:
    """This worker's Humanizer for these settings, built the first time they come, and
    what to call its style copies in what it prints."""
    key = hashlib.sha256(pickle.dumps(settings)).hexdigest()
    with _building:
        if key not in _built:
            options, renames = on_worker(*settings)
            _built[key] = Humanizer(**options, threads=1), renames
        return _built[key]


def humanize_bytes(settings: tuple[dict, dict[str, bytes]], printing: Printing, data: bytes,
                   name: str, shown_as: str) -> tuple[bytes | None, str, str | None]:
    """On a worker: one file's bytes humanized - (the output's bytes, or None where it
    failed; its summary, naming it `shown_as`; why it failed)."""
    with tempfile.TemporaryDirectory(prefix="humanizer-cluster-") as folder:
        source, target = Path(folder) / f"in-{name}", Path(folder) / "out.mid"
        source.write_bytes(data)
        try:
            humanizer, renames = humanizer_for(settings)
        except HumanizerError as error:
            return None, "", str(error)
        with _one_at_a_time:
            outcome = humanize_one(humanizer, source, target, printing)
        renames = {**renames, str(target): shown_as, str(source): name}
        printed, error = outcome.printed, outcome.error
        for said, meant in renames.items():
            printed = printed.replace(said, meant)
            error = None if error is None else error.replace(said, meant)
        if error is not None:
            return None, printed, error
        return target.read_bytes(), printed, None


def connect(address: str):  # noqa: ANN201 - a dask.distributed.Client
    """A client of the cluster's scheduler; one line when nobody answers there."""
    distributed = dask()
    try:
        return distributed.Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as error:
        raise HumanizerError(f"--cluster: no Dask scheduler answered at {address} "
                             f"({error})") from None


def threads_of(client) -> int:  # noqa: ANN001
    """The worker threads the cluster has now (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def run_files(client, options: dict, work: list[tuple[Path, Path]],  # noqa: ANN001
              printing: Printing) -> Iterator[Outcome]:
    """Each (source, target) of `work` humanized on the cluster and written here; outcomes
    as files finish, a few per worker thread in flight. A file that cannot be read here
    fails alone, as in a local run."""
    distributed = dask()
    settings = client.scatter((options, style_files(options)), broadcast=True)
    pending = iter(work)
    running: dict[str, tuple[Path, Path]] = {}
    done = distributed.as_completed()

    def hand_out(count: int) -> Iterator[Outcome]:
        while count > 0 and (pair := next(pending, None)) is not None:
            source, target = pair
            try:
                data = source.read_bytes()
            except OSError as error:
                yield Outcome(source, target, "", f"{source}: cannot read "
                                                  f"({error.strerror or error})")
                continue
            future = client.submit(humanize_bytes, settings, printing, data, source.name,
                                   str(target), pure=False)
            running[future.key] = (source, target)
            done.add(future)
            count -= 1

    yield from hand_out(IN_FLIGHT_PER_THREAD * threads_of(client))
    for future in done:
        source, target = running.pop(future.key)
        yield finished(future, source, target)
        yield from hand_out(1)


def finished(future, source: Path, target: Path) -> Outcome:  # noqa: ANN001
    """A file's outcome: its output written here, whole or not at all."""
    try:
        data, printed, error = future.result()
    except Exception as error:  # a worker lost, or an error Dask carried back
        return Outcome(source, target, "", f"{source}: the cluster failed it ({error})")
    if error is not None:
        return Outcome(source, target, printed, error)
    try:
        write_bytes_atomic(data, target)
    except OSError as error:
        return Outcome(source, target, printed,
                       f"{target}: cannot write ({error.strerror or error})")
    return Outcome(source, target, printed)


@contextlib.contextmanager
def local(workers: int, logs: Path) -> Iterator[str]:
    """A Dask cluster on this machine's loopback, started as on real machines - `dask
    scheduler` and `dask worker` with `workers` processes of one thread - for tests and
    the benchmark; its address, once every worker has joined. Its processes end with it
    (and with this one)."""
    distributed = dask()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    command = Path(sys.executable).parent / "dask"
    started = []
    with contextlib.ExitStack() as stack:
        for name, arguments in (("scheduler", ["scheduler", "--host", "127.0.0.1", "--port",
                                               str(port)]),
                                ("worker", ["worker", address, "--nworkers", str(workers),
                                            "--nthreads", "1"])):
            log = stack.enter_context(open(logs / f"dask-{name}.log", "w"))
            started.append(subprocess.Popen([command, *arguments, "--no-dashboard"],
                                            stdout=log, stderr=log, cwd=logs,
                                            preexec_fn=die_with_parent))
        try:
            with distributed.Client(address, timeout=CONNECT_SECONDS) as client:
                client.wait_for_workers(workers, timeout=60)
            yield address
        finally:
            for process in started:
                process.terminate()
            for process in started:
                process.wait(timeout=30)
