"""Gradient diagnostics: activation bounds, dL/dh_t through time, exploding and clipping."""

from __future__ import annotations

import math

import pytest
import torch

from seqlab.analysis import gradients
from seqlab.analysis.gradients import (
    activation_derivative_max,
    diagnose_gradients,
    exploding_case,
    format_report,
    hidden_gradient_norms,
    plot_gradients,
    report_steps,
    sample_windows,
)
from seqlab.analysis.input_gradients import build_lm
from seqlab.errors import SeqlabError

TEXT = "to be or not to be, that is the question.\n" * 20


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TEXT)
    return path


def test_activation_derivative_maxima_come_from_autograd():
    assert activation_derivative_max("sigmoid") == pytest.approx(0.25, abs=1e-9)
    assert activation_derivative_max("tanh") == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="sigmoid, tanh"):
        activation_derivative_max("relu")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_one_norm_per_step_and_gradient_flows_back_through_time(cell):
    model = build_lm(cell, vocab_size=11, hidden_size=8, seed=0, max_len=12)
    tokens = torch.randint(0, 11, (3, 12), generator=torch.Generator().manual_seed(0))
    norms = hidden_gradient_norms(model, tokens, torch.tensor([1, 2, 3]))
    assert len(norms) == 12 and all(n > 0 for n in norms)
    assert norms[0] < norms[-1]  # at init the gradient shrinks going back in time
    assert all(p.grad is None for p in model.parameters())  # measured on a copy


def test_fused_output_tensor_carries_no_gradient_through_time():
    """Why the measurement steps one t at a time: out[:, t] of a fused call is not a node
    on the path from h_t to h_{T-1}, so its gradient is zero for t < T-1."""
    model = build_lm("rnn", vocab_size=5, hidden_size=4, seed=0, max_len=6)
    out, _ = model.rnn(torch.randn(2, 6, model.rnn.input_size))
    out.retain_grad()
    out[:, -1].sum().backward()
    assert torch.all(out.grad[:, :-1] == 0) and torch.all(out.grad[:, -1] == 1)


def test_exploding_rnn_grows_as_radius_to_the_lag_and_clipping_caps_it():
    result = exploding_case(length=30, hidden_size=16, seed=0, radius=1.2, max_norm=1.0)
    assert result["radius"] == pytest.approx(1.2, rel=1e-6)
    assert result["max_abs_h"] < 0.05  # the linear regime: tanh' ~ 1
    norms = result["norms"]
    for t in (0, 10, 20):
        assert norms[t] / norms[-1] == pytest.approx(1.2 ** (29 - t), rel=0.02)
    assert result["param_grad_norm_before_clip"] > 100
    assert result["param_grad_norm_after_clip"] == pytest.approx(1.0, rel=1e-4)


def test_windows_repeat_a_short_text():
    ids = torch.arange(5)
    tokens, targets = sample_windows(ids, 4, 12, torch.Generator().manual_seed(0))
    assert tokens.shape == targets.shape == (4, 12)
    assert torch.equal(targets[:, :-1], tokens[:, 1:])


def test_diagnose_trains_and_measures_every_cell(text_file, tmp_path):
    result = diagnose_gradients(
        ["rnn", "gru"], length=15, hidden_size=8, train_steps=5, text=text_file
    )
    for r in result["cells"].values():
        assert len(r["init"]) == len(r["trained"]) == 15
        assert math.isfinite(r["train_loss_last"])
        assert r["init"][0] < r["init"][-1]  # ||dL/dx_t|| shrinks going back in time
    assert result["sigmoid_prime_max"] == pytest.approx(0.25)
    report = format_report(result)
    assert "t=14" in report and "t=5" in report and "t=0" in report and "after" in report
    assert plot_gradients(result, tmp_path / "g.png").stat().st_size > 0


def test_report_steps_keep_only_valid_t():
    assert report_steps(100) == [99, 90, 50, 0]
    assert report_steps(5) == [4, 0]
    assert report_steps(1) == [0]


def test_bad_input_is_a_one_line_error(text_file, monkeypatch):
    with pytest.raises(SeqlabError, match="--length"):
        diagnose_gradients(["rnn"], length=0, text=text_file)
    with pytest.raises(SeqlabError, match="--length"):
        diagnose_gradients(["rnn"], length=-3, text=text_file)
    with pytest.raises(SeqlabError, match="rnn, lstm, gru, transformer"):
        diagnose_gradients(["rnn", "elman"], length=5, text=text_file)
    monkeypatch.setattr(gradients, "default_text", lambda: None)
    with pytest.raises(SeqlabError, match="--text"):
        diagnose_gradients(["rnn"], length=5, train_steps=3)
    result = diagnose_gradients(["rnn"], length=5, hidden_size=4, train_steps=0)
    assert "trained" not in result["cells"]["rnn"]


def test_the_transformer_joins_the_table_and_the_figure(text_file, tmp_path):
    result = diagnose_gradients(
        ["rnn", "transformer"], length=12, hidden_size=8, train_steps=3, text=text_file
    )
    transformer = result["cells"]["transformer"]
    assert len(transformer["init"]) == len(transformer["trained"]) == 12
    assert transformer["train_loss_last"] < transformer["train_loss_first"]
    report = format_report(result)
    assert "| transformer, init |" in report and "| transformer, trained 3 steps |" in report
    assert "dL/dx_t" in report
    figure = gradients.draw_gradients(result)
    labels = {line.get_label() for line in figure.axes[0].get_lines()}
    assert labels == {"rnn", "transformer"}
    assert [ax.get_ylabel() for ax in figure.axes] == ["||dL/dx_t||"] * 2 + ["||dL/dh_t||"]
    assert plot_gradients(result, tmp_path / "g.png").stat().st_size > 0
