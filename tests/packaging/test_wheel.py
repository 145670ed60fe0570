"""``python -m build`` makes an sdist and a wheel; the wheel installs into a fresh venv (torch
pinned first, as the Makefile does, then the wheel and its core dependencies only) and its
``seqlab`` command runs. Slow (a minute or more: a venv and a pip install), so it runs in CI, or
where ``SEQLAB_TEST_WHEEL=1`` asks for it."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TORCH = "torch==2.13.0"  # never an unpinned torch: that would pull a multi-GB CUDA build

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.environ.get("CI") or os.environ.get("SEQLAB_TEST_WHEEL")),
        reason="builds and installs a wheel (set SEQLAB_TEST_WHEEL=1; CI runs it)",
    ),
]


def _run(*cmd: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=check)


def test_wheel_installs_in_a_fresh_venv_and_runs(tmp_path):
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--outdir", dist, REPO)
    (wheel,) = dist.glob("seqlab-*.whl")
    (sdist,) = dist.glob("seqlab-*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    assert "seqlab/api/__init__.py" in names and "seqlab/serve/static/index.html" in names
    with tarfile.open(sdist) as tar:
        assert any(n.endswith("/pyproject.toml") for n in tar.getnames())

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    _run(pip, "install", "-q", TORCH)
    _run(pip, "install", "-q", wheel)
    seqlab = venv / "bin" / "seqlab"
    assert "train" in _run(seqlab, "--help").stdout
    version = _run(seqlab, "--version").stdout.splitlines()
    assert version[0] == "seqlab 0.1.0" and version[2] == "onnxruntime not installed"
    # the core install pulls no server: the command that needs one says what to install
    served = _run(seqlab, "serve", tmp_path, check=False)
    assert served.returncode == 2
    assert "pip install 'seqlab[serve]'" in served.stderr and served.stderr.count("\n") == 1
    python = venv / "bin" / "python"
    probe = "import importlib.util as u; print([m for m in ('fastapi', 'onnx') if u.find_spec(m)])"
    assert _run(python, "-c", probe).stdout.strip() == "[]"
