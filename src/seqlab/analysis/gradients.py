"""Vanishing and exploding gradients, measured: ||dL/dx_t|| for every t of a sequence.

What is reported. A one-layer character language model (rnn, lstm, gru, or a one-block causal
Transformer of the same width) reads T tokens; the loss L is the cross-entropy of the prediction
at the *last* position only (summed over the batch, so each sequence's gradient is its own).
``diagnose_gradients`` reports ||dL/dx_t||, the gradient with respect to each embedded input x_t
(:mod:`seqlab.analysis.input_gradients`): defined the same way for both families, it shows the
recurrent gradient vanishing with distance and the Transformer's not, since there every
position is one attention step from the last.

Why the recurrent one vanishes, seen on the hidden states (``hidden_gradient_norms``). The
recurrent layer is run one step at a time with
``Recurrent.step``, so every h_t is its own node of the autograd graph, and ``retain_grad``
keeps dL/dh_t. Because the loss reads h_{T-1} alone, dL/dh_t for t < T-1 is exactly the
gradient that flowed *back through time*::

    dL/dh_t = dL/dh_{T-1} · dh_{T-1}/dh_{T-2} · ... · dh_{t+1}/dh_t

Each factor of a plain RNN is W_h^T diag(tanh'(a)), and tanh' <= 1 (sigmoid' <= 0.25), so
unless W_h is large the product shrinks geometrically: the vanishing gradient. For the LSTM,
dL/dh_t is the total derivative through h_{t+1} *and* c_{t+1}, but not the gradient of the
cell c_t itself. (The output tensor of a fused forward call cannot be used instead: with the
loss on out[:, -1], dL/d out[:, t] is zero for t < T-1, since the recurrence runs inside the
kernel and never reads ``out``.)

The exploding case: a plain tanh RNN whose W_h is ``radius`` times an orthogonal matrix, with
inputs so small that tanh stays linear (tanh' ~ 1). Then ||dL/dh_t|| grows as radius^(T-1-t),
and ``clip_grad_norm_`` rescales the whole parameter gradient back to ``max_norm``.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.analysis.adding import parse_cells
from seqlab.analysis.char_training import load_corpus, sample_windows, train_char_lm
from seqlab.analysis.input_gradients import MODELS, build_lm, input_gradient_norms
from seqlab.analysis.plots import Curve, draw_panels, save
from seqlab.data.io import shown_path
from seqlab.errors import SeqlabError
from seqlab.models.lm import LanguageModel
from seqlab.nn.recurrent import Recurrent, hidden_of

if TYPE_CHECKING:
    from seqlab.analysis.plots import Figure

TINY_SHAKESPEARE = "shared/data/tinyshakespeare/input.txt"
MEASURE_BATCH = 16


def activation_derivative_max(name: str, lo: float = -10.0, hi: float = 10.0) -> float:
    """max over a grid of d/dz f(z) for f = sigmoid or tanh, by autograd (0.25 and 1.0)."""
    functions = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}
    if name not in functions:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(functions)}")
    z = torch.linspace(lo, hi, 20001, dtype=torch.float64, requires_grad=True)  # z=0 on grid
    (grad,) = torch.autograd.grad(functions[name](z).sum(), z)
    return float(grad.max())


def default_text() -> Path | None:
    """tiny-shakespeare beside the repository (``../shared/...``), if it is there."""
    repo = Path(__file__).resolve().parents[3]
    for p in (Path.cwd().parent / TINY_SHAKESPEARE, repo.parent / TINY_SHAKESPEARE):
        if p.is_file():
            return p
    return None


def hidden_gradient_norms(model: LanguageModel, tokens: Tensor, targets: Tensor) -> list[float]:
    """Mean over the batch of ||dL/dh_t||, t = 0..T-1, for L = CE of the last prediction.

    Args:
        tokens: (B, T) inputs. targets: (B,) the token after each window.
    Returns:
        T floats; element t is the batch mean of the L2 norm of dL_b/dh_t (each (H,)),
        computed on a float64 copy of the model, which is left untouched.
    """
    model = copy.deepcopy(model).double().eval()  # float64: the t=0 gradients underflow float32
    x = model.embedding(tokens)  # (B, T, E)
    state = None
    hs = []
    for t in range(tokens.shape[1]):
        _, state = model.rnn.step(x[:, t], state)
        h = hidden_of(state)  # (1, B, H), a graph node
        h.retain_grad()
        hs.append(h)
    logits = model.output(hs[-1][-1])  # (B, V), from h_{T-1} only
    F.cross_entropy(logits, targets, reduction="sum").backward()
    return [float(h.grad[-1].norm(dim=-1).mean()) for h in hs]


def exploding_case(
    length: int, hidden_size: int, seed: int, *, radius: float = 1.1, max_norm: float = 1.0
) -> dict[str, Any]:
    """A plain RNN with W_h = radius * orthogonal, in the linear regime; clip its gradient.

    Inputs are N(0, 1) scaled by 0.01 * radius^-T so |h_t| stays far below 1 (tanh' ~ 1);
    the loss is 0.5 * (readout(h_{T-1}) - 1)^2 summed over a batch of 16.
    """
    torch.manual_seed(seed)
    rnn = Recurrent("rnn", input_size=4, hidden_size=hidden_size).double()
    readout = nn.Linear(hidden_size, 1).double()
    with torch.no_grad():
        q, _ = torch.linalg.qr(
            torch.randn(hidden_size, hidden_size, dtype=torch.float64)
        )  # orthogonal (H, H)
        rnn.rnn.weight_hh_l0.copy_(radius * q)
        rnn.rnn.bias_ih_l0.zero_()
        rnn.rnn.bias_hh_l0.zero_()
    x = torch.randn(MEASURE_BATCH, length, 4, dtype=torch.float64) * (
        0.01 * radius ** (-length)
    )  # (B, T, 4)
    state, hs = None, []
    for t in range(length):
        _, state = rnn.step(x[:, t], state)
        state.retain_grad()
        hs.append(state)  # (1, B, H)
    pred = readout(hs[-1][-1]).squeeze(-1)  # (B,)
    (0.5 * ((pred - 1.0) ** 2).sum()).backward()
    params = list(rnn.parameters()) + list(readout.parameters())
    before = float(nn.utils.clip_grad_norm_(params, max_norm))  # returns the norm before
    after = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))
    radius_measured = float(torch.linalg.eigvals(rnn.rnn.weight_hh_l0.detach()).abs().max())
    return {
        "radius": radius_measured,
        "max_abs_h": float(max(h.detach().abs().max() for h in hs)),
        "norms": [float(h.grad[-1].norm(dim=-1).mean()) for h in hs],
        "param_grad_norm_before_clip": before,
        "param_grad_norm_after_clip": after,
        "max_norm": max_norm,
    }


def check_options(length: int, hidden_size: int, train_steps: int) -> None:
    if length < 1:
        raise SeqlabError(f"--length must be a positive number of steps, got {length}")
    if hidden_size < 1:
        raise SeqlabError(f"--hidden-size must be positive, got {hidden_size}")
    if train_steps < 0:
        raise SeqlabError(f"--train-steps must be >= 0, got {train_steps}")


def _measure_tokens(
    ids: Tensor | None, vocab_size: int, length: int, seed: int
) -> tuple[Tensor, Tensor]:
    """The fixed measurement batch: text windows if there is a text, else random tokens."""
    generator = torch.Generator().manual_seed(seed)
    if ids is None:
        tokens = torch.randint(0, vocab_size, (MEASURE_BATCH, length + 1), generator=generator)
        return tokens[:, :-1], tokens[:, -1]
    tokens, targets = sample_windows(ids, MEASURE_BATCH, length, generator)
    return tokens, targets[:, -1]  # (B, T), (B,)


def _cell_result(
    cell: str, ids: Tensor | None, vocab_size: int, options: dict[str, Any]
) -> dict[str, Any]:
    """||dL/dx_t|| of one model (cell or transformer) at init and, with a text, trained."""
    length, seed = options["length"], options["seed"]
    model = build_lm(cell, vocab_size, options["hidden_size"], seed=seed, max_len=length)
    tokens, targets = _measure_tokens(ids, vocab_size, length, seed)
    result: dict[str, Any] = {"init": input_gradient_norms(model, tokens, targets)}
    if options["train_steps"] and ids is not None:
        start = time.perf_counter()
        losses = train_char_lm(model, ids, options["train_steps"], length=length, seed=seed)
        result["train_seconds"] = time.perf_counter() - start
        result["train_loss_first"], result["train_loss_last"] = losses[0], losses[-1]
        result["trained"] = input_gradient_norms(model, tokens, targets)
    return result


def diagnose_gradients(
    cells: list[str],
    *,
    length: int = 100,
    hidden_size: int = 64,
    seed: int = 0,
    train_steps: int = 200,
    text: str | Path | None = None,
    radius: float = 1.1,
) -> dict[str, Any]:
    """||dL/dx_t|| per model (rnn, lstm, gru, transformer) at init and after ``train_steps``
    char-LM steps, plus the exploding RNN with clipping (||dL/dh_t||) and the maximal
    derivatives of sigmoid and tanh.

    ``text`` defaults to tiny-shakespeare if present; training needs a text.
    """
    check_options(length, hidden_size, train_steps)
    unknown = [c for c in cells if c not in MODELS]
    if unknown or not cells:
        parse_cells(",".join(cells), MODELS)  # raises the one-line error listing the valid cells
    path = Path(text) if text is not None else default_text()
    if path is None and train_steps > 0:
        raise SeqlabError(
            f"no text to train on: {TINY_SHAKESPEARE} is not beside the repository; "
            "pass --text FILE or --train-steps 0"
        )
    ids, vocab_size = load_corpus(path) if path is not None else (None, 65)
    options = {"length": length, "hidden_size": hidden_size, "seed": seed}
    options["train_steps"] = train_steps
    return {
        **options,
        # a --text as given; the default, found beside the repository, relative to here (no
        # machine's folders in a report: ../shared/data/...)
        "text": None if path is None else str(text) if text is not None else shown_path(path),
        "sigmoid_prime_max": activation_derivative_max("sigmoid"),
        "tanh_prime_max": activation_derivative_max("tanh"),
        "cells": {cell: _cell_result(cell, ids, vocab_size, options) for cell in cells},
        "exploding": exploding_case(length, hidden_size, seed, radius=radius),
    }


def report_steps(length: int) -> list[int]:
    """The t shown in the table: T-1, T-10, T-50 and 0, where they exist."""
    return sorted({t for t in (length - 1, length - 10, length - 50, 0) if t >= 0}, reverse=True)


def _row(label: str, norms: list[float], steps: list[int]) -> str:
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else float("nan")
    cells = " | ".join(f"{norms[t]:.3e}" for t in steps)
    return f"| {label} | {cells} | {ratio:.3e} |"


def format_table(result: dict[str, Any]) -> str:
    """Markdown table of ||dL/dx_t|| (the exploding row: ||dL/dh_t||) at a few t and the ratio
    first/last (t=0 over t=T-1)."""
    steps = report_steps(result["length"])
    header = " | ".join(f"t={t}" for t in steps)
    lines = [f"| model | {header} | ratio t=0 / t=T-1 |", "|:---|" + "---:|" * (len(steps) + 1)]
    for cell, r in result["cells"].items():
        lines.append(_row(f"{cell}, init", r["init"], steps))
        if "trained" in r:
            lines.append(
                _row(f"{cell}, trained {result['train_steps']} steps", r["trained"], steps)
            )
    boom = result["exploding"]
    lines.append(
        _row(f"rnn, W_h radius {boom['radius']:.2f} (linear), dL/dh_t", boom["norms"], steps)
    )
    return "\n".join(lines)


def _source(text: str | None) -> str:
    """What the gradients were measured on: a text file, or random tokens when there is none."""
    if text is not None:
        return f"text {text}"
    return "random token windows (no --text given and no tiny-shakespeare beside the repository)"


def format_report(result: dict[str, Any]) -> str:
    """The full text report: activation bounds, the table, training losses, clipping."""
    boom = result["exploding"]
    lines = [
        f"max sigmoid'(z) = {result['sigmoid_prime_max']:.4f}   "
        f"max tanh'(z) = {result['tanh_prime_max']:.4f}   (autograd on z in [-10, 10])",
        f"||dL/dx_t|| (x_t: embedded input), loss on the last step only, T = {result['length']}, "
        f"hidden {result['hidden_size']}, seed {result['seed']}, {_source(result['text'])}",
        "",
        format_table(result),
        "",
    ]
    for cell, r in result["cells"].items():
        if "trained" in r:
            lines.append(
                f"{cell}: char-LM loss {r['train_loss_first']:.3f} -> {r['train_loss_last']:.3f} "
                f"nats in {result['train_steps']} steps ({r['train_seconds']:.1f} s)"
            )
    lines += [
        f"exploding rnn (max |h_t| = {boom['max_abs_h']:.1e}, tanh linear): parameter gradient "
        f"norm {boom['param_grad_norm_before_clip']:.3e} before clip_grad_norm_"
        f"(max_norm={boom['max_norm']}), {boom['param_grad_norm_after_clip']:.3e} after",
    ]
    return "\n".join(lines)


def draw_gradients(result: dict[str, Any]) -> Figure:
    """Log-scale ||dL/dx_t|| against t: panels init, trained (if any); exploding ||dL/dh_t||."""
    t = list(range(result["length"]))
    panels = {"at initialisation": [Curve(c, t, r["init"]) for c, r in result["cells"].items()]}
    trained = [Curve(c, t, r["trained"]) for c, r in result["cells"].items() if "trained" in r]
    if trained:
        panels[f"after {result['train_steps']} char-LM steps"] = trained
    boom = result["exploding"]
    exploding = f"exploding: rnn, radius(W_h) = {boom['radius']:.2f}, ||dL/dh_t||"
    panels[exploding] = [Curve("rnn", t, boom["norms"])]
    fig = draw_panels(
        panels,
        xlabel="time step t (loss at t = T-1)",
        ylabel="||dL/dx_t||",
        log_y=True,
        integer_x=True,
    )
    fig.axes[-1].set_ylabel("||dL/dh_t||")  # the exploding panel
    return fig


def plot_gradients(result: dict[str, Any], path: str | Path) -> Path:
    """:func:`draw_gradients` saved to ``path``; returns the path written."""
    return save(draw_gradients(result), path)
