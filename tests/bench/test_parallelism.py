"""bench.parallelism at a tiny size: matched parameter counts, one row per T, its section."""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.syspath_prepend(str(REPO))  # as ``python -m bench.parallelism`` from the root
    return importlib.import_module("bench.parallelism")


def test_the_default_models_match_within_ten_percent(module):
    sizes = module.Sizes()
    lstm = module.count(module.build_lstm(sizes))
    width = module.matched_width(sizes, lstm, 256)
    transformer = module.transformer_count(sizes, width, 256)
    assert width % sizes.num_heads == 0
    assert abs(transformer / lstm - 1) < 0.10
    # no other width of the heads' multiples comes nearer
    for other in (width - sizes.num_heads, width + sizes.num_heads):
        assert abs(module.transformer_count(sizes, other, 256) - lstm) >= abs(transformer - lstm)


def test_tiny_run_times_both_models_and_writes_its_section(module, monkeypatch, tmp_path):
    report = importlib.import_module("bench._report")
    doc = tmp_path / "benchmarks.md"
    monkeypatch.setattr(
        module, "write_section", lambda *a, **k: report.write_section(*a, **k, doc=doc)
    )
    module.main(
        ["--lengths", "8,16", "--batch-size", "2", "--hidden-size", "16", "--embedding-dim",
         "8", "--transformer-layers", "1", "--heads", "2", "--warmup", "1", "--steps", "2",
         "--threads", "1"]
    )  # fmt: skip
    text = doc.read_text()
    section = text[text.index("<!-- bench:parallelism -->") :]
    counts = [int(c.replace(",", "")) for c in re.findall(r"([\d,]+) parameters", section)]
    assert len(counts) == 2 and abs(counts[1] / counts[0] - 1) < 0.10
    rows = re.findall(r"^\| (\d+) \| ([\d,]+) \| ([\d,]+) \| ([\d.]+)x \|$", section, re.M)
    assert [r[0] for r in rows] == ["8", "16"]
    for _, lstm, transformer, ratio in rows:
        lstm, transformer = float(lstm.replace(",", "")), float(transformer.replace(",", ""))
        assert lstm > 0 and transformer > 0
        assert float(ratio) == pytest.approx(transformer / lstm, rel=0.02, abs=0.01)
    assert re.search(r"<!-- summary:parallelism --> .* T=8 [\d.]+x, T=16 [\d.]+x", text)
    assert "Machine: " in section and "<details><summary>Command</summary>" in section
