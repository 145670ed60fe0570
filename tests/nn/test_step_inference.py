"""The prepared-weights step equals the module step, for every cell, depth and input layout, and
follows the weights when they change."""

from __future__ import annotations

import pytest
import torch

from seqlab.nn.recurrent import Recurrent
from seqlab.nn.step_inference import StepInference

CELLS = [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu")]


def _parts(state):
    return list(state) if isinstance(state, tuple) else [state]


def _reference(rnn, emb, tokens, x, state):
    full = emb[tokens] if x is None else torch.cat([emb[tokens], x], -1)
    return rnn.step(full, state)


@pytest.mark.parametrize("mode,nonlinearity", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("extra", [0, 5])  # input beyond the embedding (attention context)
@pytest.mark.parametrize("table_limit", [2**30, 0])  # tabulated, or the row multiplied
@pytest.mark.parametrize("bias", [True, False])
def test_step_equals_the_module_step(mode, nonlinearity, layers, extra, table_limit, bias):
    torch.manual_seed(0)
    rnn = Recurrent(mode, 6 + extra, 9, layers, nonlinearity=nonlinearity, bias=bias).double()
    rnn.eval()
    emb = torch.randn(11, 6, dtype=torch.float64)
    fast = StepInference(rnn, emb, table_limit=table_limit)
    assert (fast.table is None) == (table_limit == 0)
    state = ref_state = None  # zeros to start
    with torch.no_grad():
        for _ in range(4):
            tokens = torch.randint(0, 11, (3,))
            x = torch.randn(3, extra, dtype=torch.float64) if extra else None
            out, state = fast.step(x, state, tokens)
            want, ref_state = _reference(rnn, emb, tokens, x, ref_state)
            torch.testing.assert_close(out, want, atol=1e-12, rtol=0)
            for got, ref in zip(_parts(state), _parts(ref_state), strict=True):
                torch.testing.assert_close(got, ref, atol=1e-12, rtol=0)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_step_without_embedding_equals_the_module_step(mode):
    torch.manual_seed(1)
    rnn = Recurrent(mode, 7, 8, 2).double().eval()
    fast = StepInference(rnn)
    x = torch.randn(2, 7, dtype=torch.float64)
    state = rnn.initial_state(2)
    with torch.no_grad():
        got, _ = fast.step(x, state)
        want, _ = rnn.step(x, state)
    torch.testing.assert_close(got, want, atol=1e-12, rtol=0)


def test_a_changed_weight_or_embedding_makes_it_stale():
    rnn = Recurrent("lstm", 4, 5).eval()
    emb = torch.randn(6, 4)
    fast = StepInference(rnn, emb)
    assert fast.fresh(rnn, emb)
    with torch.no_grad():
        rnn.rnn.weight_ih_l0.add_(1.0)
    assert not fast.fresh(rnn, emb)
    fast = StepInference(rnn, emb)
    emb.mul_(2.0)
    assert not fast.fresh(rnn, emb)
    assert not StepInference(rnn).fresh(rnn, emb)  # built without the embedding
    assert not fast.fresh(Recurrent("lstm", 4, 5), emb)  # another module


def test_bidirectional_is_refused():
    with pytest.raises(ValueError, match="unidirectional"):
        StepInference(Recurrent("gru", 4, 5, bidirectional=True))


@pytest.mark.parametrize("extra", [0, 5])
@pytest.mark.parametrize("table_limit", [2**30, 0])
def test_the_gate_block_zigzag_equals_the_module_step(monkeypatch, extra, table_limit):
    """A W_hh larger than the L2 cache is read as four gate blocks, in alternating order; forced
    here with a tiny "cache", every step (both orders) still equals the module step."""
    import seqlab.nn.step_inference as step_inference

    monkeypatch.setattr(step_inference, "l2_bytes", lambda: 64)
    torch.manual_seed(5)
    rnn = Recurrent("lstm", 6 + extra, 9).double().eval()
    emb = torch.randn(11, 6, dtype=torch.float64)
    fast = StepInference(rnn, emb, table_limit=table_limit)
    assert fast.gate_blocks is not None and len(fast.gate_blocks) == 4
    flips = []
    state = ref_state = None
    with torch.no_grad():
        for _ in range(5):
            tokens = torch.randint(0, 11, (3,))
            x = torch.randn(3, extra, dtype=torch.float64) if extra else None
            flips.append(fast.flip)
            out, state = fast.step(x, state, tokens)
            want, ref_state = _reference(rnn, emb, tokens, x, ref_state)
            torch.testing.assert_close(out, want, atol=1e-12, rtol=0)
            for got, ref in zip(_parts(state), _parts(ref_state), strict=True):
                assert got.shape == ref.shape == (1, 3, 9)
                torch.testing.assert_close(got, ref, atol=1e-12, rtol=0)
    assert flips[:3] == [0, 1, 0]  # the block order alternates


def test_small_weights_or_an_unknown_cache_keep_one_product(monkeypatch):
    import seqlab.nn.step_inference as step_inference

    rnn = Recurrent("lstm", 4, 5).eval()
    monkeypatch.setattr(step_inference, "l2_bytes", lambda: 2**21)
    assert StepInference(rnn).gate_blocks is None  # 400 bytes fit
    monkeypatch.setattr(step_inference, "l2_bytes", lambda: 0)
    assert StepInference(rnn).gate_blocks is None  # no cache size known
    assert StepInference(Recurrent("gru", 4, 5)).gate_blocks is None  # LSTM only
