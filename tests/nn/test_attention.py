"""Attention masks padding; the bridge handles bidirectional and stacked encoders, every cell;
teacher forcing in one RNN call equals the step-by-step loop."""

from __future__ import annotations

import pytest
import torch

from seqlab.data.parallel import make_batch
from seqlab.models.encoder import Bridge
from seqlab.models.seq2seq import Seq2Seq
from seqlab.nn.attention import BahdanauAttention, LuongAttention, build_attention
from seqlab.nn.stack import RecurrentShape

CELLS = ["rnn", "lstm", "gru"]
KINDS = [("bahdanau", "general"), ("luong", "general"), ("luong", "dot"), ("luong", "concat")]


def _shape(layers: int, cell: str) -> RecurrentShape:
    """E 6, H 8, a bidirectional encoder, no dropout."""
    return RecurrentShape(cell, 6, 8, num_layers=layers, dropout=0.0, bidirectional=True)


def _attention(kind: str, score: str, size: int = 6):
    torch.manual_seed(0)
    return build_attention(kind, size, size, 5, score=score).double()


@pytest.mark.parametrize("kind,score", KINDS)
def test_padding_gets_zero_weight_and_changes_nothing(kind, score):
    att = _attention(kind, score)
    g = torch.Generator().manual_seed(1)
    memory = torch.randn(2, 4, 6, generator=g, dtype=torch.float64)
    memory[1, 2:] = 0.0  # sentence 1 has 2 real tokens
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    query = torch.randn(2, 6, generator=g, dtype=torch.float64)
    context, weights = att(query, att.keys(memory), memory, mask)
    assert torch.all(weights[1, 2:] == 0)
    assert torch.allclose(weights.sum(-1), torch.ones(2, dtype=torch.float64))
    # the same sentence with more padding (and garbage in it) attends identically
    longer = torch.cat([memory, torch.randn(2, 3, 6, generator=g, dtype=torch.float64)], 1)
    mask2 = torch.cat([mask, torch.zeros(2, 3, dtype=torch.bool)], 1)
    context2, weights2 = att(query, att.keys(longer), longer, mask2)
    assert torch.allclose(context, context2) and torch.allclose(weights, weights2[:, :4])
    # all T steps at once equal one step at a time
    many, w_many = att(query[:, None].expand(2, 3, 6), att.keys(memory), memory, mask)
    assert torch.allclose(many[:, 1], context) and torch.allclose(w_many[:, 2], weights)


def test_concat_score_is_v_tanh_w_of_query_and_key_side_by_side():
    """Keys computed once per source give the score of the concatenated form."""
    att = _attention("luong", "concat")
    query, memory = torch.randn(2, 3, 6).double(), torch.randn(2, 4, 6).double()  # (B, T, Q)
    got = att.score(query, att.keys(memory))  # (B, T, S)
    pairs = torch.cat(
        [query[:, :, None].expand(-1, -1, 4, -1), memory[:, None].expand(-1, 3, -1, -1)], -1
    )  # (B, T, S, Q + K)
    want = att.v(torch.tanh(att.proj(pairs))).squeeze(-1)
    torch.testing.assert_close(got, want)


def test_luong_dot_needs_equal_sizes():
    with pytest.raises(ValueError, match="query size == memory size"):
        LuongAttention(4, 8, "dot")
    assert isinstance(build_attention("bahdanau", 4, 8, 3), BahdanauAttention)
    assert build_attention("none", 4, 8) is None


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (1, True), (2, True), (3, False)])
def test_bridge_shapes(cell, layers, bidirectional):
    D, B, H_e, H_d = (2 if bidirectional else 1), 3, 5, 7
    bridge = Bridge(
        cell,
        encoder_layers=layers,
        num_directions=D,
        encoder_hidden=H_e,
        decoder_layers=2,
        decoder_hidden=H_d,
    )
    h = torch.randn(layers * D, B, H_e)
    state = (h, torch.randn_like(h)) if cell == "lstm" else h
    out = bridge(state)
    parts = out if cell == "lstm" else (out,)
    assert len(parts) == (2 if cell == "lstm" else 1)
    assert all(p.shape == (2, B, H_d) for p in parts)
    assert (
        Bridge(
            cell,
            encoder_layers=layers,
            num_directions=D,
            encoder_hidden=H_e,
            decoder_layers=2,
            decoder_hidden=H_d,
            kind="zeros",
        )(state)
        is None
    )


def test_bridge_concatenates_directions_per_layer():
    L, D, B, H = 2, 2, 1, 3
    bridge = Bridge(
        "gru",
        encoder_layers=L,
        num_directions=D,
        encoder_hidden=H,
        decoder_layers=L,
        decoder_hidden=4,
    )
    h = torch.stack([torch.full((B, H), 10.0 * (i // D) + i % D) for i in range(L * D)])
    layers = bridge._layers(h)  # (L, B, D*H)
    assert layers[0, 0].tolist() == [0.0] * H + [1.0] * H  # layer 0: forward | backward
    assert layers[1, 0].tolist() == [10.0] * H + [11.0] * H


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(
    "attention,feed", [("none", False), ("luong", False), ("luong", True), ("bahdanau", False)]
)
def test_teacher_forced_forward_equals_step_loop(cell, attention, feed):
    torch.manual_seed(0)
    m = Seq2Seq(15, 17, _shape(2, cell), attention=attention, input_feed=feed)
    m = m.double().eval()
    b = make_batch([([5, 6, 7], [8, 9]), ([5], [10, 11, 12])])
    fast, attn = m(b.src, b.src_lengths, b.tgt_in)  # (B, T, V)
    state, slow, slow_attn = m.encode(b.src, b.src_lengths), [], []
    for t in range(b.tgt_in.shape[1]):
        logits, state = m.step(b.tgt_in[:, t], state)
        slow.append(logits)
        slow_attn.append(state.attn)
    assert torch.allclose(fast, torch.stack(slow, 1))
    if attention == "none":
        assert attn is None
    else:
        assert attn.shape == (2, 4, 4) and torch.allclose(attn, torch.stack(slow_attn, 1))
    keep = b.tgt_out != 0  # (B, T): the real target positions
    kept, _ = m(b.src, b.src_lengths, b.tgt_in, keep=keep)
    assert kept.shape == (int(keep.sum()), 17) and torch.allclose(kept, fast[keep])


def test_scheduled_sampling_keeps_reference_when_ratio_is_near_one():
    torch.manual_seed(0)
    m = Seq2Seq(15, 17, _shape(1, "gru"), attention="bahdanau").double().eval()
    b = make_batch([([5, 6, 7], [8, 9]), ([5], [10, 11, 12])])
    fast, _ = m(b.src, b.src_lengths, b.tgt_in)
    # a ratio just under 1 takes the sampling loop; the draw almost surely keeps every reference
    slow, _ = m(b.src, b.src_lengths, b.tgt_in, teacher_forcing=0.999999)
    assert torch.allclose(fast, slow)
    own, _ = m(b.src, b.src_lengths, b.tgt_in, teacher_forcing=0.0)
    assert not torch.allclose(fast, own)  # fed its own argmax, the logits change


@pytest.mark.parametrize("attention,feed", [("bahdanau", False), ("luong", True), ("none", False)])
def test_padding_does_not_change_model_output(attention, feed):
    torch.manual_seed(0)
    m = Seq2Seq(15, 17, _shape(1, "lstm"), attention=attention, input_feed=feed)
    m = m.double().eval()
    alone = make_batch([([5, 6, 7], [8, 9])])
    padded = make_batch([([5, 6, 7], [8, 9]), ([4, 5, 6, 7, 8, 9, 10], [8, 9, 10, 11, 12])])
    a, _ = m(alone.src, alone.src_lengths, alone.tgt_in)
    p, _ = m(padded.src, padded.src_lengths, padded.tgt_in)
    assert torch.allclose(a[0], p[0, : a.shape[1]])
