"""Pre-LN blocks equal torch's Transformer layers; cached steps equal the whole prefix."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.nn.feed_forward import FeedForward
from seqlab.nn.masks import attention_mask, causal_mask, key_padding_mask
from seqlab.nn.transformer_block import BlockShape, DecoderBlock, TransformerBlock

B, T, S, D, HEADS, FF = 2, 4, 5, 8, 2, 16


def _x(steps: int, dtype=torch.float32, seed: int = 1) -> torch.Tensor:
    return torch.randn(B, steps, D, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _torch_layer(kind: type, activation: str, dtype=torch.float32) -> nn.Module:
    torch.manual_seed(0)
    layer = kind(D, HEADS, FF, dropout=0.0, activation=activation, batch_first=True)
    layer.norm_first = True
    for param in layer.parameters():  # LayerNorm starts at (1, 0): move it off that point
        param.data.add_(0.1 * torch.randn_like(param))
    return layer.to(dtype).eval()


@pytest.mark.parametrize("impl", ["explicit", "fused"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_block_equals_torch_encoder_layer(impl, activation):
    theirs = _torch_layer(nn.TransformerEncoderLayer, activation)
    ours = TransformerBlock(BlockShape(D, HEADS, FF, activation=activation, impl=impl)).eval()
    ours.copy_from_torch(theirs)
    x = _x(T)
    real = key_padding_mask(torch.tensor([4, 3]), T)
    expected = theirs(x, src_mask=~causal_mask(T), src_key_padding_mask=~real)
    got, cache = ours(x, attention_mask(T, T, causal=True, lengths=torch.tensor([4, 3])))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert cache.keys.shape == (B, HEADS, T, D // HEADS)


@pytest.mark.parametrize("impl", ["explicit", "fused"])
def test_decoder_block_equals_torch_decoder_layer(impl):
    theirs = _torch_layer(nn.TransformerDecoderLayer, "relu")
    ours = DecoderBlock(BlockShape(D, HEADS, FF, impl=impl)).eval()
    ours.copy_from_torch(theirs)
    x, memory = _x(T), _x(S, seed=2)
    real = key_padding_mask(torch.tensor([5, 2]), S)
    expected = theirs(x, memory, tgt_mask=~causal_mask(T), memory_key_padding_mask=~real)
    masks = (causal_mask(T), real[:, None, None, :])
    got, _ = ours(x, ours.memory_keys(memory), masks)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_block_explicit_equals_fused_in_float64():
    ours = TransformerBlock(BlockShape(D, HEADS, FF, activation="gelu")).double().eval()
    x, mask = _x(T, torch.float64), causal_mask(T)
    fused, _ = ours(x, mask)
    ours.self_attn.impl = "explicit"
    explicit, _ = ours(x, mask)
    torch.testing.assert_close(explicit, fused, rtol=1e-12, atol=1e-12)


def test_cached_decoder_steps_equal_the_whole_prefix():
    torch.manual_seed(0)
    ours = DecoderBlock(BlockShape(D, HEADS, FF)).double().eval()
    x, memory = _x(T, torch.float64), ours.memory_keys(_x(S, torch.float64, seed=2))
    full, _ = ours(x, memory, (causal_mask(T), None))
    cache, steps = None, []
    for t in range(T):
        out, cache = ours(x[:, t : t + 1], memory, cache=cache)
        steps.append(out)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-12, atol=1e-12)


def test_feed_forward_counts_and_rejects_unknown_activations():
    ff = FeedForward(D, FF)
    assert sum(p.numel() for p in ff.parameters()) == 2 * D * FF + FF + D
    with pytest.raises(ValueError, match="relu, gelu"):
        FeedForward(D, FF, activation="swish")
