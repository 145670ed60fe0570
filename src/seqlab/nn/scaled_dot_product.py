"""Scaled dot-product attention, the one equation under every Transformer layer.

For queries Q (..., T, d_k), keys K (..., S, d_k) and values V (..., S, d_v)::

    scores  = Q K^T / sqrt(d_k)             (..., T, S)  how well query t matches key s
    weights = softmax(scores + M)           (..., T, S)  each row sums to 1 over the keys
    output  = weights V                     (..., T, d_v) a weighted mean of the values

M is 0 where the mask allows a key and -inf where it does not (:mod:`seqlab.nn.masks`), so a
masked key gets weight exactly 0. Dividing by sqrt(d_k) keeps the scores' variance near 1 when
the entries of Q and K have variance 1, so the softmax does not saturate as d_k grows (Vaswani
et al. 2017, section 3.2.1).

Two implementations, one switch apart, as for the recurrent cells:

- ``"explicit"``: the three lines above, which also return the weights (for printing and plots);
- ``"fused"``: torch's ``scaled_dot_product_attention`` kernel, which never builds the weights
  when it can avoid it. Fast; no weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from seqlab.nn.masks import additive_mask

IMPLS = ("fused", "explicit")


def check_impl(impl: str) -> None:
    if impl not in IMPLS:
        raise ValueError(f"unknown attention impl {impl!r}; expected one of {', '.join(IMPLS)}")


def scaled_dot_product_weights(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The equation, line by line: query (..., T, d_k), key (..., S, d_k), value (..., S, d_v),
    mask bool broadcastable to (..., T, S), True = may attend -> output (..., T, d_v) and the
    weights (..., T, S)."""
    d_k = query.shape[-1]
    scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)  # (..., T, S)
    if mask is not None:
        scores = scores + additive_mask(mask, scores.dtype)  # (..., T, S)
    weights = torch.softmax(scores, dim=-1)  # (..., T, S)
    return weights @ value, weights  # (..., T, d_v), (..., T, S)


def scaled_dot_product(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None, *, impl: str = "fused"
) -> Tensor:
    """softmax(Q K^T / sqrt(d_k) + M) V -> (..., T, d_v); shapes as in
    :func:`scaled_dot_product_weights`. ``impl``: "fused" (torch's kernel) or "explicit"."""
    check_impl(impl)
    if impl == "explicit":
        return scaled_dot_product_weights(query, key, value, mask)[0]
    return F.scaled_dot_product_attention(query, key, value, attn_mask=mask)  # (..., T, d_v)
