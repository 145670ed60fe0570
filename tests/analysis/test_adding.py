"""The adding problem: data properties, model shapes, a short run that learns, bad input."""

from __future__ import annotations

import pytest
import torch

from seqlab.analysis.adding import (
    AddingConfig,
    AddingModel,
    adding_batch,
    baseline_mse,
    format_table,
    parse_cells,
    parse_ints,
    run_grid,
    summarize,
    train_adding,
)
from seqlab.errors import SeqlabError


@pytest.mark.parametrize("length", [2, 3, 10, 51])
def test_two_markers_one_per_half_and_target_is_their_sum(length):
    x, y = adding_batch(256, length, torch.Generator().manual_seed(0))
    assert x.shape == (256, length, 2) and y.shape == (256,)
    values, markers = x[..., 0], x[..., 1]
    assert torch.all((values >= 0) & (values < 1))
    assert torch.all((markers == 0) | (markers == 1))
    half = length // 2
    assert torch.all(markers[:, :half].sum(1) == 1)
    assert torch.all(markers[:, half:].sum(1) == 1)
    assert torch.allclose((values * markers).sum(1), y)


def test_baseline_is_one_sixth_on_a_large_sample():
    _, y = adding_batch(50_000, 20, torch.Generator().manual_seed(1))
    assert baseline_mse(y) == pytest.approx(1 / 6, abs=0.005)


def test_generator_seeds_the_batch():
    a = adding_batch(4, 8, torch.Generator().manual_seed(3))
    b = adding_batch(4, 8, torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_model_predicts_one_number_per_sequence(cell):
    x, _ = adding_batch(5, 7)
    assert AddingModel(cell, hidden_size=8)(x).shape == (5,)


def test_forget_bias_starts_the_lstm_forget_gate_open():
    model = AddingModel("lstm", hidden_size=6, forget_bias=1.0)
    _, _, b_ih, b_hh = model.rnn.weights(0)
    f = slice(6, 12)  # torch's gate order (i, f, g, o)
    assert torch.allclose(b_ih[f] + b_hh[f], torch.ones(6))


def test_lstm_beats_the_baseline_clearly_at_short_length():
    config = AddingConfig(
        cell="lstm", length=10, hidden_size=32, steps=300, batch_size=32, lr=1e-2, test_size=500
    )
    result = train_adding(config)
    assert result["baseline_mse"] == pytest.approx(1 / 6, abs=0.03)
    assert result["test_mse"] < 0.3 * result["baseline_mse"]


def test_grid_summary_and_table():
    results = run_grid(
        ["rnn", "gru"], [4, 6], [0, 1], hidden_size=4, steps=2, batch_size=4, test_size=8
    )
    assert [(r["length"], r["cell"], r["seed"]) for r in results][:3] == [
        (4, "rnn", 0),
        (4, "rnn", 1),
        (4, "gru", 0),
    ]
    rows = summarize(results)
    assert len(rows) == 4 and all(r["seeds"] == 2 for r in rows)
    table = format_table(rows)
    assert table.count("\n") == 1 + len(rows) and "baseline" in table


def test_bad_input_is_a_one_line_error():
    with pytest.raises(SeqlabError, match="expected a comma-separated list of rnn, lstm, gru"):
        parse_cells("rnn,transformer")
    with pytest.raises(SeqlabError, match=">= 2"):
        parse_ints("10,1", "--lengths", minimum=2)
    with pytest.raises(SeqlabError, match="integers"):
        parse_ints("10,x", "--lengths", minimum=2)
    with pytest.raises(SeqlabError, match="steps"):
        AddingConfig(steps=0)
    with pytest.raises(SeqlabError, match="length"):
        adding_batch(2, 1)
