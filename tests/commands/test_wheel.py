"""Installable by name: the built wheel installs in a fresh venv with everything a user
runs - the styles, the examples, the panel's page - and its commands work there."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_installs_in_a_fresh_venv_with_its_styles_and_runs_the_demo(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", str(ROOT), "--no-deps",
                            "--no-cache-dir", "-w", str(tmp_path / "dist")],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("midi_humanizer-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True,
                   timeout=120)
    venv = tmp_path / "venv" / "bin"
    installed = subprocess.run([venv / "pip", "install", "-q", "--no-cache-dir", str(wheel)],
                               capture_output=True, text=True, timeout=600)
    if installed.returncode != 0 and "No matching distribution" in installed.stderr:
        pytest.skip("the package index is out of reach: the wheel's dependencies cannot come")
    assert installed.returncode == 0, installed.stderr
    listed = subprocess.run([venv / "humanizer", "models"], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    for style in ("bass", "comping", "drums", "lead", "pad", "piano", "pop"):
        assert f"\n{style} " in listed.stdout, listed.stdout
    demo = subprocess.run([venv / "humanizer", "demo", "-o", tmp_path / "demo"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert {"band.mid", "drum-loop.mid", "piano-part.mid"} <= {
        p.name for p in (tmp_path / "demo").iterdir()}
    page = subprocess.run([venv / "python", "-c", "from importlib import resources; print("
                           "len(resources.files('humanizer.daemon').joinpath('panel.html')"
                           ".read_bytes()))"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert int(page.stdout) > 1000  # the live panel's page is inside
