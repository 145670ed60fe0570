"""bench.long_context on two tiny lm runs trained here, an LSTM and a Transformer: the table, the
figure, the section."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import torch

from seqlab.analysis.position_loss import nll_by_position, stream_windows
from seqlab.cli import main as seqlab_main
from seqlab.errors import SeqlabError

REPO = Path(__file__).resolve().parents[2]
RECURRENT = "  cell: lstm\n  embedding_dim: 16\n  hidden_size: 32\n"  # lm_config's model
MODELS = {  # run name -> its model section's lines in place of RECURRENT
    "lstm": RECURRENT,
    "gpt": "  arch: transformer\n  embedding_dim: 16\n  num_heads: 2\n",
}


class Bigram(torch.nn.Module):
    """A model whose nll is known: position 0 of a window scores 1, later ones 0."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, tokens, state, targets):
        assert state is None  # every window from a fresh state
        nll = torch.zeros(targets.shape)  # (B, T)
        nll[:, 0] = 1.0
        return nll, None


def test_windows_follow_each_other_and_every_target_is_scored_once():
    inputs, targets = stream_windows(torch.arange(11), 3)  # 10 targets: 3 windows of 3
    assert inputs.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert targets.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(SeqlabError, match="fewer than one window"):
        stream_windows(torch.arange(3), 3)


def test_the_mean_is_per_position_over_windows():
    nll, windows = nll_by_position(Bigram(), torch.arange(40), 4, batch_size=3)
    assert windows == 9 and nll.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert nll_by_position(Bigram(), torch.arange(40), 4, max_windows=2)[1] == 2


def test_two_runs_give_a_table_a_figure_and_a_section(
    lm_config, text_file, monkeypatch, tmp_path, capsys
):
    monkeypatch.syspath_prepend(str(REPO))  # as ``python -m bench.long_context`` from the root
    module = importlib.import_module("bench.long_context")
    report = importlib.import_module("bench._report")
    runs = []
    for name, model in MODELS.items():
        config = lm_config(name=name)
        config.write_text(config.read_text().replace(RECURRENT, model))
        seqlab_main(["train", str(config)])
        runs.append(str(tmp_path / name))
    doc, figure = tmp_path / "benchmarks.md", tmp_path / "long.png"
    monkeypatch.setattr(
        module, "write_section", lambda *a, **k: report.write_section(*a, **k, doc=doc)
    )
    capsys.readouterr()  # the training logs
    module.main([*runs, "--text", str(text_file), "--threads", "1", "--figure", str(figure)])
    table = capsys.readouterr().out
    size = len(text_file.read_text())
    held_out = size - int(size * 0.9)  # the last 10% of the characters
    rows = re.findall(r"^\| (\w+) \((\w+)\) \| [\d,]+ \| 16 \| ([\d,]+) \|(.*)\|$", table, re.M)
    assert [(name, cell) for name, cell, *_ in rows] == [("lstm", "lstm"), ("gpt", "transformer")]
    for *_, windows, cells in rows:
        values = [float(c) for c in cells.split("|")]  # t=1, 2, 4, 8, 16 and the mean
        assert len(values) == 6 and int(windows) == (held_out - 1) // 16
        assert all(0 < v < 5 for v in values)
        assert values[-2] < values[0]  # a trained model predicts better with more context
    assert figure.stat().st_size > 0
    text = doc.read_text()
    assert "<!-- bench:long-context -->" in text and table.strip() in text
    assert re.search(r"<!-- summary:long-context --> .* lstm \(lstm\) [\d.]+ at t=1, ", text)
