"""Multi-head attention: h scaled dot-product attentions side by side, on learned projections.

For a model width D and h heads, each head works in d_k = D / h dimensions::

    Q = X_q W_Q,  K = X_kv W_K,  V = X_kv W_V           (B, T, D), (B, S, D), (B, S, D)
    split:  (B, T, D) -> (B, T, h, d_k) -> (B, h, T, d_k)  each head sees its own d_k slice
    head_i = softmax(Q_i K_i^T / sqrt(d_k) + M) V_i     (B, h, T, d_k), all heads at once
    merge:  (B, h, T, d_k) -> (B, T, h, d_k) -> (B, T, D)  concatenate the heads
    output = merge(heads) W_O                          (B, T, D)

Self-attention is X_q = X_kv (every position looks at the others); cross-attention takes X_kv
from the encoder's output ("memory"). The projections are ``nn.Linear(D, D)`` each, so a layer
holds 4 D^2 + 4 D parameters, exactly the layout of ``torch.nn.MultiheadAttention``, whose
weights :meth:`MultiHeadAttention.copy_from_torch` takes over (its ``in_proj_weight`` stacks
W_Q, W_K and W_V, in that order).

The attention itself is :func:`seqlab.nn.scaled_dot_product.scaled_dot_product`, with ``impl``
"fused" (torch's kernel) or "explicit" (the equation; it also returns the weights).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.nn.kv_cache import KVCache, extend
from seqlab.nn.scaled_dot_product import (
    check_impl,
    scaled_dot_product,
    scaled_dot_product_weights,
)


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, D) -> (B, h, T, d_k), d_k = D / h: head i holds features i*d_k .. (i+1)*d_k - 1."""
    batch, steps, width = x.shape
    x = x.view(batch, steps, num_heads, width // num_heads)  # (B, T, h, d_k)
    return x.transpose(1, 2)  # (B, h, T, d_k)


def merge_heads(x: Tensor) -> Tensor:
    """(B, h, T, d_k) -> (B, T, D): the heads concatenated, the inverse of :func:`split_heads`."""
    batch, heads, steps, head_dim = x.shape
    x = x.transpose(1, 2)  # (B, T, h, d_k)
    return x.reshape(batch, steps, heads * head_dim)  # (B, T, D)


class MultiHeadAttention(nn.Module):
    """h heads of scaled dot-product attention over projections of width ``embed_dim``.

    Args:
        embed_dim: D, the model width (input and output).
        num_heads: h; D must be divisible by h.
        bias: biases on the four projections (torch's default True).
        impl: "fused" or "explicit" (a plain attribute: one model runs both ways).
    """

    def __init__(self, embed_dim: int, num_heads: int, *, bias: bool = True, impl: str = "fused"):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        check_impl(impl)
        self.embed_dim, self.num_heads, self.impl = embed_dim, num_heads, impl
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def keys(self, source: Tensor) -> KVCache:
        """source (B, S, D) -> its keys and values, each (B, h, S, d_k).

        For cross-attention this runs once per source and serves every decoder step."""
        keys = split_heads(self.k_proj(source), self.num_heads)  # (B, h, S, d_k)
        values = split_heads(self.v_proj(source), self.num_heads)  # (B, h, S, d_k)
        return KVCache(keys, values)

    def attend(
        self, query: Tensor, kv: KVCache, mask: Tensor | None = None, *, need_weights=False
    ) -> tuple[Tensor, Tensor | None]:
        """query (B, T, D) over keys and values (B, h, S, d_k); mask bool broadcastable to
        (B, h, T, S), True = may attend -> output (B, T, D), weights (B, h, T, S) (explicit
        impl, or ``need_weights``: this call takes the explicit path) or None (fused)."""
        check_impl(self.impl)
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, h, T, d_k)
        weights = None
        if self.impl == "explicit" or need_weights:
            heads, weights = scaled_dot_product_weights(q, kv.keys, kv.values, mask)
        else:
            heads = scaled_dot_product(q, kv.keys, kv.values, mask, impl="fused")
        return self.out_proj(merge_heads(heads)), weights  # (B, T, D)

    def forward(
        self, query: Tensor, source: Tensor | None = None, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """Attention of query (B, T, D) over ``source`` (B, S, D); self-attention when source is
        None. Returns output (B, T, D) and the weights (B, h, T, S) or None (see :meth:`attend`)."""
        return self.attend(query, self.keys(query if source is None else source), mask)

    def self_attend(
        self, x: Tensor, cache: KVCache | None = None, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None, KVCache]:
        """Self-attention of T new positions x (B, T, D) after the t cached ones.

        Their keys and values are appended to ``cache`` (B, h, t, d_k) first, so the new queries
        see the whole prefix; ``mask`` is then (T, t + T) wide (see
        :func:`seqlab.nn.masks.causal_mask`). Returns output (B, T, D), weights or None, and the
        cache (B, h, t + T, d_k). A step (T = 1) costs O(t): one projection and t scores.
        """
        cache = extend(cache, self.keys(x))  # (B, h, t + T, d_k)
        output, weights = self.attend(x, cache, mask)
        return output, weights, cache

    @torch.no_grad()
    def copy_from_torch(self, torch_mha: nn.MultiheadAttention) -> None:
        """Take over the weights of a ``torch.nn.MultiheadAttention`` of the same size."""
        if torch_mha.embed_dim != self.embed_dim or torch_mha.num_heads != self.num_heads:
            raise ValueError("copy_from_torch needs the same embed_dim and num_heads")
        if not torch_mha._qkv_same_embed_dim:
            raise ValueError("copy_from_torch needs kdim == vdim == embed_dim")
        projections = (self.q_proj, self.k_proj, self.v_proj)
        for proj, weight in zip(projections, torch_mha.in_proj_weight.chunk(3), strict=True):
            proj.weight.copy_(weight)
        if torch_mha.in_proj_bias is not None:
            for proj, bias in zip(projections, torch_mha.in_proj_bias.chunk(3), strict=True):
                proj.bias.copy_(bias)
        self.out_proj.load_state_dict(torch_mha.out_proj.state_dict())

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, impl={self.impl!r}"
