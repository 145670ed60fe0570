"""The explicit cells equal torch's cells on the same parameters."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.nn.cells import (
    CellWeights,
    gru_cell,
    gru_cell_gates,
    lstm_cell,
    lstm_cell_gates,
    rnn_cell,
    rnn_cell_gates,
)

BATCH, INPUT, HIDDEN = 3, 5, 4
EXACT = {"atol": 1e-12, "rtol": 1e-12}  # float64 agrees to ~1e-16; a float32 step would not


def _params(cell: nn.RNNCellBase) -> CellWeights:
    return CellWeights(cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)


def _inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, INPUT, generator=g, dtype=torch.float64)
    h = torch.randn(BATCH, HIDDEN, generator=g, dtype=torch.float64)
    c = torch.randn(BATCH, HIDDEN, generator=g, dtype=torch.float64)
    return x, h, c


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell_equals_torch(bias: bool, nonlinearity: str) -> None:
    torch.manual_seed(0)
    ref = nn.RNNCell(INPUT, HIDDEN, bias=bias, nonlinearity=nonlinearity).double()
    x, h, _ = _inputs()
    got = rnn_cell(x, h, _params(ref), nonlinearity=nonlinearity)
    torch.testing.assert_close(got, ref(x, h), **EXACT)


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_cell_equals_torch(bias: bool) -> None:
    torch.manual_seed(0)
    ref = nn.LSTMCell(INPUT, HIDDEN, bias=bias).double()
    x, h, c = _inputs()
    got_h, got_c = lstm_cell(x, (h, c), _params(ref))
    ref_h, ref_c = ref(x, (h, c))
    torch.testing.assert_close(got_h, ref_h, **EXACT)
    torch.testing.assert_close(got_c, ref_c, **EXACT)


@pytest.mark.parametrize("bias", [True, False])
def test_gru_cell_equals_torch(bias: bool) -> None:
    torch.manual_seed(0)
    ref = nn.GRUCell(INPUT, HIDDEN, bias=bias).double()
    x, h, _ = _inputs()
    torch.testing.assert_close(gru_cell(x, h, _params(ref)), ref(x, h), **EXACT)


def test_rnn_gates_add_up() -> None:
    torch.manual_seed(0)
    ref = nn.RNNCell(INPUT, HIDDEN).double()
    x, h, _ = _inputs()
    gates = rnn_cell_gates(x, h, _params(ref))
    assert gates["b"].shape == (HIDDEN,)
    torch.testing.assert_close(gates["h"], torch.tanh(gates["wx"] + gates["wh"] + gates["b"]))
    torch.testing.assert_close(gates["wx"], x @ ref.weight_ih.T)


def test_lstm_gates_are_consistent() -> None:
    torch.manual_seed(0)
    ref = nn.LSTMCell(INPUT, HIDDEN).double()
    x, h, c = _inputs()
    gates = lstm_cell_gates(x, (h, c), _params(ref))
    assert set(gates) == {"i", "f", "g", "o", "c", "h"}
    for name in "ifo":
        assert ((gates[name] > 0) & (gates[name] < 1)).all()
    torch.testing.assert_close(gates["c"], gates["f"] * c + gates["i"] * gates["g"])
    torch.testing.assert_close(gates["h"], gates["o"] * torch.tanh(gates["c"]))


def test_gru_gates_are_consistent() -> None:
    torch.manual_seed(0)
    ref = nn.GRUCell(INPUT, HIDDEN).double()
    x, h, _ = _inputs()
    gates = gru_cell_gates(x, h, _params(ref))
    assert set(gates) == {"r", "z", "n", "h"}
    for name in "rz":
        assert ((gates[name] > 0) & (gates[name] < 1)).all()
    torch.testing.assert_close(gates["h"], (1 - gates["z"]) * gates["n"] + gates["z"] * h)


def test_unknown_nonlinearity_raises() -> None:
    x, h, _ = _inputs()
    w_ih, w_hh = torch.zeros(HIDDEN, INPUT), torch.zeros(HIDDEN, HIDDEN)
    with pytest.raises(ValueError, match="tanh"):
        rnn_cell(x.float(), h.float(), CellWeights(w_ih, w_hh), nonlinearity="sigmoid")
