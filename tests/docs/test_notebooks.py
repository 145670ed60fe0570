"""notebooks/tour.en.ipynb and notebooks/tour.ko.ipynb: their cells are what
scripts/make_notebooks.py makes from the tours' text (so a tour and its notebook cannot drift),
and both execute without an error in a Jupyter kernel of this Python, at a fiftieth of their
training steps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "make_notebooks.py"


def make_notebooks(*args: str) -> subprocess.CompletedProcess:
    """Run scripts/make_notebooks.py with ``args`` from the repository."""
    command = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO)


def test_the_notebooks_are_what_the_script_makes():
    result = make_notebooks("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_notebooks_run_without_an_error(tmp_path):
    result = make_notebooks("--execute", "--scale", "0.02", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    for lang in ("en", "ko"):
        nb = nbformat.read(tmp_path / f"tour.{lang}.ipynb", as_version=4)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        outputs = [output for cell in code for output in cell.outputs]
        assert all(cell.outputs for cell in code), f"tour.{lang}: a cell printed nothing"
        assert not [o for o in outputs if o.output_type == "error"]
        figures = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(figures) >= 2, f"tour.{lang}: the gradients and attention figures are missing"
        heatmap = next(cell for cell in code if "attention=True" in cell.source)
        assert "image/png" in heatmap.outputs[0].data  # the attention heatmap, inline
        last = [o.get("data", {}) for o in code[-1].outputs]  # the attention walk-through
        assert any("image/png" in d or "<img" in d.get("text/html", "") for d in last)
