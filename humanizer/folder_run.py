"""A folder of files on every core: `humanize FOLDER` spread over worker processes.

Each worker loads the styles once (a Humanizer built from the same options) and humanizes
the files it is handed, one at a time, as the single-process run does - the same output
step, the same take for the same file and seed, so a file comes out byte for byte the same
whichever worker made it. A file's failure is its outcome, never the run's end. Workers are
spawned, never forked (a fork of a process with onnxruntime's threads can inherit a held
lock: humanizer.evaluation). Each worker's styles run on one thread: the workers are the
parallelism.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from humanizer.children import die_with_parent
from humanizer.errors import HumanizerError
from humanizer.offline import Humanizer
from humanizer.summary import Printing, tell

SPAWN = get_context("spawn")


@dataclass
class Outcome:
    """One file: where it went, what its summary says, and why it failed (None: done)."""

    source: Path
    target: Path
    printed: str = ""
    error: str | None = None


@dataclass
class Report:
    """A folder run's tally (`--report`): files done, skipped (written before), failed
    (with why), and how long it took."""

    done: int = 0
    skipped: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def write(self, path: Path) -> None:
        """The report as JSON, written whole or not at all."""
        temporary = path.with_name(f".{path.name}.part")
        try:
            temporary.write_text(json.dumps({**asdict(self), "failed_count": len(self.failed)},
                                            indent=2) + "\n")
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise HumanizerError(f"{path}: cannot write the report "
                                 f"({error.strerror or error})") from None


def humanize_one(humanizer: Humanizer, source: Path, target: Path,
                 printing: Printing) -> Outcome:
    """One file through `humanizer`, its summary captured as text."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            tell(humanizer.file(source, target), humanizer, target, printing)
    except HumanizerError as error:
        return Outcome(source, target, printed.getvalue(), str(error))
    return Outcome(source, target, printed.getvalue())


_worker: dict = {}


def _start_worker(options: dict, printing: Printing) -> None:
    die_with_parent()  # a folder run killed takes its workers with it
    _worker["humanizer"] = Humanizer(**options, threads=1)
    _worker["printing"] = printing


def _work(source: Path, target: Path) -> Outcome:
    return humanize_one(_worker["humanizer"], source, target, _worker["printing"])


def workers_for(asked: int | None, files: int) -> int:
    """How many worker processes: as asked, else every core; never more than files."""
    return max(1, min(asked or os.cpu_count() or 1, files))


def run_files(humanizer: Humanizer, options: dict, work: list[tuple[Path, Path]],
              workers: int, printing: Printing) -> Iterator[Outcome]:
    """Each (source, target) of `work` humanized, in `workers` processes each building a
    Humanizer(**options) (1: in this one by `humanizer`, built from the same options, in
    order); outcomes as files finish."""
    if workers <= 1:
        for source, target in work:
            yield humanize_one(humanizer, source, target, printing)
        return
    with ProcessPoolExecutor(workers, mp_context=SPAWN, initializer=_start_worker,
                             initargs=(options, printing)) as pool:
        futures = [pool.submit(_work, source, target) for source, target in work]
        for future in as_completed(futures):
            yield future.result()
