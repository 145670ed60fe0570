"""Recurrent cells written as the equations a lecture writes, one timestep at a time.

Every cell applies the same weights at every t. The simplest one is

    h_t = tanh(W_x·x_t + W_h·h_{t-1} + b)        (then y_t = f(W_y·h_t) outside the cell)

The weights use torch's layout, so these functions run on the exact parameters of
``torch.nn.RNN``, ``torch.nn.LSTM`` and ``torch.nn.GRU`` (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``) and give the same numbers, only slower. Gates are stacked along
the first weight dimension in torch's order: LSTM (i, f, g, o), GRU (r, z, n).

Each cell comes in two forms: ``*_cell`` returns the new state, ``*_cell_gates`` returns a dict
of every named intermediate (gates, pre-activations), for printing a numeric walk-through.
``*_cell`` is defined through ``*_cell_gates``, so there is one copy of each equation.

Shapes: x (B, I), h and c (B, H), w_ih (G*H, I), w_hh (G*H, H), biases (G*H,) or None, where
G is the number of gates (1 for RNN, 4 for LSTM, 3 for GRU). The four travel together as
:class:`CellWeights`, in torch's argument order (``torch.lstm_cell(x, (h, c), *weights)``).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


class CellWeights(NamedTuple):
    """One layer's (and direction's) parameters: w_ih (G*H, I), w_hh (G*H, H), b_ih and b_hh
    (G*H,) or None."""

    w_ih: Tensor
    w_hh: Tensor
    b_ih: Tensor | None = None
    b_hh: Tensor | None = None


def _project(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """W·x (+ b) for a batch of row vectors: x (B, K), weight (N, K) -> (B, N)."""
    y = x @ weight.T  # (B, N)
    return y if bias is None else y + bias


def _nonlinearity(name: str):
    if name not in NONLINEARITIES:
        raise ValueError(
            f"unknown nonlinearity {name!r}; expected one of {', '.join(NONLINEARITIES)}"
        )
    return NONLINEARITIES[name]


def rnn_cell_gates(
    x: Tensor, h: Tensor, weights: CellWeights, nonlinearity: str = "tanh"
) -> dict[str, Tensor]:
    """Elman RNN step with every term named.

        h_t = tanh(W_x·x_t + W_h·h_{t-1} + b),   b = b_ih + b_hh

    Returns ``{"wx": W_x·x_t (B, H), "wh": W_h·h_{t-1} (B, H), "b": b (H,), "h": h_t (B, H)}``.
    With ``nonlinearity="relu"`` tanh is replaced by max(0, ·).
    """
    act = _nonlinearity(nonlinearity)
    w_ih, w_hh, b_ih, b_hh = weights
    wx = x @ w_ih.T  # (B, H)
    wh = h @ w_hh.T  # (B, H)
    b = torch.zeros(w_ih.shape[0], dtype=wx.dtype, device=wx.device)  # (H,)
    if b_ih is not None:
        b = b + b_ih
    if b_hh is not None:
        b = b + b_hh
    h_new = act(wx + wh + b)  # (B, H)
    return {"wx": wx, "wh": wh, "b": b, "h": h_new}


def rnn_cell(x: Tensor, h: Tensor, weights: CellWeights, nonlinearity: str = "tanh") -> Tensor:
    """Elman RNN step: h_t = tanh(W_x·x_t + b_ih + W_h·h_{t-1} + b_hh). Returns h_t (B, H)."""
    return rnn_cell_gates(x, h, weights, nonlinearity)["h"]


def lstm_cell_gates(
    x: Tensor, state: tuple[Tensor, Tensor], weights: CellWeights
) -> dict[str, Tensor]:
    """LSTM step with every gate named (torch's gate order i, f, g, o).

        i = σ(W_ii·x + b_ii + W_hi·h + b_hi)     input gate: how much new content to write
        f = σ(W_if·x + b_if + W_hf·h + b_hf)     forget gate: how much old memory to keep
        g = tanh(W_ig·x + b_ig + W_hg·h + b_hg)  candidate content
        o = σ(W_io·x + b_io + W_ho·h + b_ho)     output gate: how much memory to show
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    Returns ``{"i", "f", "g", "o", "c", "h"}``, each (B, H).
    """
    h, c = state
    w_ih, w_hh, b_ih, b_hh = weights
    pre = _project(x, w_ih, b_ih) + _project(h, w_hh, b_hh)  # (B, 4H)
    pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=1)  # each (B, H)
    i = torch.sigmoid(pre_i)
    f = torch.sigmoid(pre_f)
    g = torch.tanh(pre_g)
    o = torch.sigmoid(pre_o)
    c_new = f * c + i * g  # (B, H)
    h_new = o * torch.tanh(c_new)  # (B, H)
    return {"i": i, "f": f, "g": g, "o": o, "c": c_new, "h": h_new}


def lstm_cell(
    x: Tensor, state: tuple[Tensor, Tensor], weights: CellWeights
) -> tuple[Tensor, Tensor]:
    """LSTM step: (h_{t-1}, c_{t-1}) -> (h_t, c_t), each (B, H). See :func:`lstm_cell_gates`."""
    gates = lstm_cell_gates(x, state, weights)
    return gates["h"], gates["c"]


def gru_cell_gates(x: Tensor, h: Tensor, weights: CellWeights) -> dict[str, Tensor]:
    """GRU step with every gate named (torch's gate order r, z, n).

        r = σ(W_ir·x + b_ir + W_hr·h + b_hr)            reset gate
        z = σ(W_iz·x + b_iz + W_hz·h + b_hz)            update gate: how much old h to keep
        n = tanh(W_in·x + b_in + r * (W_hn·h + b_hn))   candidate; r scales the recurrent term
        h_t = (1 - z) * n + z * h_{t-1}

    Returns ``{"r", "z", "n", "h"}``, each (B, H).
    """
    w_ih, w_hh, b_ih, b_hh = weights
    gi_r, gi_z, gi_n = _project(x, w_ih, b_ih).chunk(3, dim=1)  # each (B, H)
    gh_r, gh_z, gh_n = _project(h, w_hh, b_hh).chunk(3, dim=1)  # each (B, H)
    r = torch.sigmoid(gi_r + gh_r)
    z = torch.sigmoid(gi_z + gh_z)
    n = torch.tanh(gi_n + r * gh_n)
    h_new = (1 - z) * n + z * h  # (B, H)
    return {"r": r, "z": z, "n": n, "h": h_new}


def gru_cell(x: Tensor, h: Tensor, weights: CellWeights) -> Tensor:
    """GRU step: h_{t-1} -> h_t (B, H). See :func:`gru_cell_gates`."""
    return gru_cell_gates(x, h, weights)["h"]
