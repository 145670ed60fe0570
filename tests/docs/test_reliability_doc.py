"""docs/reliability.md is the table the tests' bad_input marks make, and covers every kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "make_reliability.py"


def test_the_reliability_table_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_kind_of_bad_input_has_a_test():
    doc = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    rows = [line.split(" | ")[0].lstrip("| ") for line in doc.splitlines() if "::test_" in line]
    kinds = ("empty file", "no final newline", "invalid UTF-8", "wrong column count")
    kinds += ("unaligned parallel files", "unknown label", "invalid IOB", "a huge line")
    kinds += ("unknown config key", "wrong type", "missing file", "zero-length sequence")
    kinds += ("run directory", "checkpoint", "pickle", "resume", "export")
    assert set(rows) == set(kinds)
