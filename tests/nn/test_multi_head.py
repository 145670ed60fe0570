"""Multi-head attention: split/merge, equality with torch.nn.MultiheadAttention, the cache."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.nn.masks import causal_mask, key_padding_mask
from seqlab.nn.multi_head import MultiHeadAttention, merge_heads, split_heads

B, T, S, D, HEADS = 2, 4, 5, 8, 2


def _pair(
    bias: bool = True, dtype=torch.float32
) -> tuple[MultiHeadAttention, nn.MultiheadAttention]:
    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(D, HEADS, bias=bias, batch_first=True).to(dtype)
    ours = MultiHeadAttention(D, HEADS, bias=bias).to(dtype)
    ours.copy_from_torch(theirs)
    return ours.eval(), theirs.eval()


def _x(steps: int, dtype=torch.float32, seed: int = 1) -> torch.Tensor:
    return torch.randn(B, steps, D, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_split_then_merge_is_the_identity_and_heads_are_slices():
    x = _x(T)
    heads = split_heads(x, HEADS)
    assert heads.shape == (B, HEADS, T, D // HEADS)
    torch.testing.assert_close(heads[:, 1], x[..., D // HEADS :])
    assert torch.equal(merge_heads(heads), x)


@pytest.mark.parametrize("impl", ["explicit", "fused"])
@pytest.mark.parametrize("bias", [True, False])
def test_cross_attention_equals_torch_with_key_padding(impl, bias):
    ours, theirs = _pair(bias)
    ours.impl = impl
    query, source = _x(T), _x(S, seed=2)
    lengths = torch.tensor([5, 3])
    real = key_padding_mask(lengths, S)  # (B, S), True = real key
    expected, expected_weights = theirs(
        query, source, source, key_padding_mask=~real, average_attn_weights=False
    )
    got, weights = ours(query, source, real[:, None, None, :])
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    if impl == "explicit":
        torch.testing.assert_close(weights, expected_weights, rtol=1e-5, atol=1e-6)
    else:
        assert weights is None


@pytest.mark.parametrize("impl", ["explicit", "fused"])
def test_causal_self_attention_equals_torch(impl):
    ours, theirs = _pair()
    ours.impl = impl
    x = _x(T)
    allowed = causal_mask(T)
    lengths = torch.tensor([4, 2])
    real = key_padding_mask(lengths, T)
    # torch's MultiheadAttention masks are True = *not* allowed; ours are True = may attend
    expected, _ = theirs(x, x, x, attn_mask=~allowed, key_padding_mask=~real)
    got, _ = ours(x, mask=allowed & real[:, None, None, :])
    # rows past a sequence's length still see their own real prefix, so none is all -inf
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_explicit_equals_fused_in_float64():
    ours, _ = _pair(dtype=torch.float64)
    x = _x(T, torch.float64)
    ours.impl = "explicit"
    explicit, _ = ours(x, mask=causal_mask(T))
    ours.impl = "fused"
    fused, _ = ours(x, mask=causal_mask(T))
    torch.testing.assert_close(explicit, fused, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("impl", ["explicit", "fused"])
def test_cached_steps_equal_attention_over_the_whole_prefix(impl):
    ours, _ = _pair(dtype=torch.float64)
    ours.impl = impl
    x = _x(T, torch.float64)
    full, _ = ours(x, mask=causal_mask(T))  # (B, T, D), all positions at once
    cache, steps = None, []
    for t in range(T):
        out, _, cache = ours.self_attend(x[:, t : t + 1], cache)  # one query, t + 1 keys
        assert cache.length == t + 1
        steps.append(out)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-12, atol=1e-12)


def test_a_cached_chunk_uses_the_shifted_causal_mask():
    ours, _ = _pair(dtype=torch.float64)
    x = _x(T, torch.float64)
    full, _ = ours(x, mask=causal_mask(T))
    _, _, cache = ours.self_attend(x[:, :1], None)
    rest, _, cache = ours.self_attend(x[:, 1:], cache, causal_mask(T - 1, T))
    torch.testing.assert_close(rest, full[:, 1:], rtol=1e-12, atol=1e-12)


def test_width_must_split_into_heads():
    with pytest.raises(ValueError, match="not divisible"):
        MultiHeadAttention(10, 3)
