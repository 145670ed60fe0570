"""Scaled dot-product attention and its masks: the equation equals torch's kernel."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqlab.nn.masks import attention_mask, causal_mask, key_padding_mask
from seqlab.nn.scaled_dot_product import scaled_dot_product, scaled_dot_product_weights

B, H, T, S, DK = 2, 3, 4, 5, 6


def _qkv(dtype=torch.float32, query_len=T, key_len=S):
    g = torch.Generator().manual_seed(0)
    q = torch.randn(B, H, query_len, DK, generator=g, dtype=dtype)
    k = torch.randn(B, H, key_len, DK, generator=g, dtype=dtype)
    v = torch.randn(B, H, key_len, DK + 1, generator=g, dtype=dtype)
    return q, k, v


def test_causal_mask_is_lower_triangular_and_shifts_for_cached_queries():
    assert torch.equal(causal_mask(3), torch.tril(torch.ones(3, 3, dtype=torch.bool)))
    assert torch.equal(causal_mask(1, 4), torch.ones(1, 4, dtype=torch.bool))
    assert causal_mask(2, 4).tolist() == [[True, True, True, False], [True, True, True, True]]
    with pytest.raises(ValueError, match="at least as many keys"):
        causal_mask(3, 2)


def test_key_padding_mask_marks_real_keys():
    mask = key_padding_mask(torch.tensor([3, 1]), 4)
    assert mask.tolist() == [[True, True, True, False], [True, False, False, False]]


@pytest.mark.parametrize("kind", ["none", "causal", "padding", "both"])
def test_explicit_equals_torch_kernel(kind):
    q, k, v = _qkv(key_len=T if kind in ("causal", "both") else S)
    lengths = torch.tensor([k.shape[2], 2])
    mask = attention_mask(
        T,
        k.shape[2],
        causal=kind in ("causal", "both"),
        lengths=lengths if kind in ("padding", "both") else None,
    )
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    ours = scaled_dot_product(q, k, v, mask, impl="explicit")
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-6)


def test_explicit_equals_torch_is_causal_flag():
    q, k, v = _qkv(key_len=T)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    ours = scaled_dot_product(q, k, v, causal_mask(T), impl="explicit")
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-6)


def test_explicit_equals_fused_in_float64():
    q, k, v = _qkv(torch.float64)
    mask = attention_mask(T, S, lengths=torch.tensor([5, 3]))
    explicit = scaled_dot_product(q, k, v, mask, impl="explicit")
    fused = scaled_dot_product(q, k, v, mask, impl="fused")
    torch.testing.assert_close(explicit, fused, rtol=1e-12, atol=1e-12)


def test_weights_are_a_distribution_with_zero_on_masked_keys():
    q, k, v = _qkv(torch.float64)
    mask = attention_mask(T, S, lengths=torch.tensor([5, 2]))
    _, weights = scaled_dot_product_weights(q, k, v, mask)
    assert weights.shape == (B, H, T, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, H, T, dtype=torch.float64))
    assert torch.all(weights[1, :, :, 2:] == 0)
    assert torch.all(weights[1, :, :, :2] > 0)


def test_unknown_impl_is_rejected():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="expected one of fused, explicit"):
        scaled_dot_product(q, k, v, impl="flash")
