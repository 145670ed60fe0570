"""The Transformer encoder-decoder: a cached step equals the teacher-forced forward, cached
decoding equals recomputing the prefix, padding and batch neighbours change nothing, and beam
search over it is batch-invariant."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from seqlab.data.vocab import PAD_ID
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Beam, Greedy, Sample
from seqlab.models.transformer_seq2seq import TransformerSeq2Seq
from seqlab.nn.transformer_block import BlockShape

SRC_VOCAB, TGT_VOCAB, SOS, EOS = 11, 13, 2, 3


def _model(impl: str = "fused", positions: str = "sinusoidal") -> TransformerSeq2Seq:
    torch.manual_seed(0)
    shape = BlockShape(d_model=16, num_heads=2, dim_feedforward=32, activation="gelu", impl=impl)
    model = TransformerSeq2Seq(SRC_VOCAB, TGT_VOCAB, shape, num_layers=2, positions=positions)
    return model.double().eval()


def _sources(lengths: list[int]) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(1)
    src = torch.full((len(lengths), max(lengths)), PAD_ID)
    for row, n in enumerate(lengths):
        src[row, :n] = torch.randint(4, SRC_VOCAB, (n,), generator=g)
    return src, torch.tensor(lengths)


@pytest.mark.parametrize("impl", ["fused", "explicit"])
@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
def test_cached_steps_equal_the_teacher_forced_forward(impl, positions):
    model = _model(impl, positions)
    src, lengths = _sources([5, 3, 4])
    tgt = torch.randint(4, TGT_VOCAB, (3, 6), generator=torch.Generator().manual_seed(2))
    logits, _ = model(src, lengths, tgt)  # (B, T, V)
    state = model.start(src, lengths)
    for t in range(tgt.shape[1]):
        step_logits, state = model.step(tgt[:, t], state)
        torch.testing.assert_close(step_logits, logits[:, t], atol=1e-10, rtol=0)
    assert state.attn.shape == (3, 5)
    torch.testing.assert_close(state.attn.sum(-1), torch.ones(3, dtype=torch.double))
    assert (state.attn[1, 3:] == 0).all()  # padding gets no attention


def test_keep_returns_the_kept_positions_only():
    model = _model()
    src, lengths = _sources([4, 2])
    tgt = torch.randint(4, TGT_VOCAB, (2, 5), generator=torch.Generator().manual_seed(3))
    keep = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    full, _ = model(src, lengths, tgt)
    kept, _ = model(src, lengths, tgt, keep=keep)
    torch.testing.assert_close(kept, full[keep])


def test_padding_and_batch_neighbours_change_nothing():
    model = _model()
    src, lengths = _sources([6, 2, 4])
    tgt = torch.randint(4, TGT_VOCAB, (3, 4), generator=torch.Generator().manual_seed(4))
    together, _ = model(src, lengths, tgt)
    for row, n in enumerate(lengths.tolist()):
        alone, _ = model(src[row : row + 1, :n], lengths[row : row + 1], tgt[row : row + 1])
        torch.testing.assert_close(alone[0], together[row], atol=1e-10, rtol=0)


class Recompute:
    """The reference decoder: no cache; the state is (source, prefix) and every step runs the
    whole teacher-forced forward on the prefix again."""

    log_probs = False

    def __init__(self, model: TransformerSeq2Seq):
        self.model = model

    def step(self, tokens: Tensor, state):
        src, lengths, prefix = state
        prefix = torch.cat([prefix, tokens[:, None]], dim=1)
        logits, _ = self.model(src, lengths, prefix)
        return logits[:, -1], (src, lengths, prefix)

    @staticmethod
    def select(state, index: Tensor):
        return tuple(t.index_select(0, index) for t in state)


def _decode(model: nn.Module, state, strategy, rows: int):
    first = torch.full((rows,), SOS)
    hyps = decode(model, state, strategy, first=first, limits=torch.full((rows,), 9), eos=EOS)
    return [[h.tokens for h in sentence] for sentence in hyps]


@pytest.mark.parametrize("strategy", [Greedy(), Beam(3, n_best=2), Sample(1.0, seed=5)])
def test_cached_decoding_equals_recomputing_the_prefix(strategy):
    model = _model()
    src, lengths = _sources([5, 3, 4])
    cached = _decode(model, model.start(src, lengths), strategy, 3)
    empty = torch.zeros(3, 0, dtype=torch.long)
    recomputed = _decode(Recompute(model), (src, lengths, empty), strategy, 3)
    assert cached == recomputed
    assert any(len(h[0]) > 0 for h in cached)


def test_beam_search_is_batch_invariant():
    model = _model()
    src, lengths = _sources([5, 3, 6, 2])
    together = _decode(model, model.start(src, lengths), Beam(4, n_best=3), 4)
    for row, n in enumerate(lengths.tolist()):
        one = src[row : row + 1, :n]
        alone = _decode(model, model.start(one, lengths[row : row + 1]), Beam(4, n_best=3), 1)
        assert alone[0] == together[row]


def test_the_output_layer_is_the_target_embedding():
    model = _model()
    assert model.output.weight is model.tgt_embedding.weight
    assert (model.src_embedding.weight[PAD_ID] == 0).all()


def test_only_full_teacher_forcing_is_defined():
    model = _model()
    src, lengths = _sources([3])
    with pytest.raises(ValueError, match="teacher_forcing 1.0"):
        model(src, lengths, torch.tensor([[SOS, 4]]), teacher_forcing=0.5)
