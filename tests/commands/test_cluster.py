"""`humanize FOLDER --cluster ADDRESS`: the same work on a real Dask cluster (a scheduler
and two worker processes on loopback), byte for byte what the local run writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import run

from humanizer.daemon.harness import free_port_pair

distributed = pytest.importorskip("dask.distributed")
EXAMPLES = Path("humanizer/examples")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and a worker command with two processes of one thread, as on a real
    cluster's machines, on loopback."""
    from humanizer import cluster

    with cluster.local(2, tmp_path_factory.mktemp("dask")) as address:
        yield address


@pytest.fixture
def folder(tmp_path):
    """Examples in nested folders, and a file no reader takes."""
    source = tmp_path / "in"
    (source / "songs").mkdir(parents=True)
    for name in ("band.mid", "piano-part.mid", "drum-loop.mid"):
        shutil.copy(EXAMPLES / name, source / name)
        shutil.copy(EXAMPLES / name, source / "songs" / f"copy-{name}")
    (source / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    return source


def outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.mid")}


def test_a_cluster_run_writes_what_the_local_run_writes(cluster, folder, tmp_path, capsys):
    settings = ("--timing", "1", "--articulation", "1", "--variation", "1", "--seed", "3")
    code, printed, err = run(capsys, "humanize", folder, "-o", tmp_path / "remote",
                             "--cluster", cluster, "--report", tmp_path / "remote.json",
                             *settings)
    assert code == 1 and "broken.mid" in err  # the damaged file failed alone
    assert "on the Dask cluster at" in printed and "(2 worker threads)" in printed
    assert f"wrote {tmp_path / 'remote' / 'band.mid'}" in printed  # named where it is here
    code, _, _ = run(capsys, "humanize", folder, "-o", tmp_path / "local", "--workers", "2",
                     "--report", tmp_path / "local.json", *settings)
    assert code == 1
    remote, local = outputs(tmp_path / "remote"), outputs(tmp_path / "local")
    assert len(remote) == 6 and remote == local  # byte for byte
    report = json.loads((tmp_path / "remote.json").read_text())
    assert (report["done"], report["failed_count"]) == (6, 1)
    code, printed, _ = run(capsys, "humanize", folder, "-o", tmp_path / "remote",
                           "--cluster", cluster)
    assert "6 files of 7 humanized into" in printed  # resumed: only the broken one again


def test_a_style_file_travels_to_the_workers(cluster, folder, tmp_path, capsys):
    style = tmp_path / "mine" / "my-pop.onnx"
    style.parent.mkdir()
    shutil.copy("humanizer/styles/pop.onnx", style)
    (folder / "broken.mid").unlink()
    code, printed, err = run(capsys, "humanize", folder, "-o", tmp_path / "remote",
                             "--cluster", cluster, "--style", style)
    assert code == 0, err
    assert f"style {style}," in printed  # the user's path, not the worker's copy
    code, _, _ = run(capsys, "humanize", folder, "-o", tmp_path / "local", "--style", style)
    assert code == 0 and outputs(tmp_path / "remote") == outputs(tmp_path / "local")


def test_no_scheduler_is_one_line_and_nothing_written(folder, tmp_path, capsys, monkeypatch):
    from humanizer import cluster

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2)
    code, _, err = run(capsys, "humanize", folder, "-o", tmp_path / "out", "--cluster",
                       f"tcp://127.0.0.1:{free_port_pair()}")
    assert code == 2 and err.count("\n") == 1 and "no Dask scheduler answered" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.mid"))
    code, _, err = run(capsys, "humanize", EXAMPLES / "band.mid", "-o", tmp_path / "b.mid",
                       "--cluster", "tcp://127.0.0.1:1")
    assert code == 2 and "are for a folder" in err
