"""Pre-LN Transformer blocks: self-attention (encoder, or GPT's decoder) and cross-attention.

A block refines every position's vector x_t (width D) in two residual steps; pre-LN puts the
layer norm before each step, so the residual path x -> x + ... stays an identity (Xiong et al.
2020: it trains without a warm-up as long as post-LN needs)::

    TransformerBlock                          DecoderBlock (encoder-decoder)
    x = x + drop(SelfAttn(LN_1(x), mask))    x = x + drop(SelfAttn(LN_1(x), causal mask))
    x = x + drop(FFN(LN_2(x)))                x = x + drop(CrossAttn(LN_2(x), memory))
                                              x = x + drop(FFN(LN_3(x)))

All shapes are (B, T, D) in and out; memory (the encoder's output) is (B, S, D). The blocks
compute the same as ``torch.nn.TransformerEncoderLayer`` and ``TransformerDecoderLayer`` with
``norm_first=True, batch_first=True``, whose weights ``copy_from_torch`` takes over.

Both return the self-attention's key/value cache with the output: over a whole sequence it is
the cache a decoder starts from; fed back with one new token, the block does a decoding step
in O(t) (:mod:`seqlab.nn.kv_cache`).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from seqlab.nn.feed_forward import FeedForward
from seqlab.nn.kv_cache import KVCache
from seqlab.nn.multi_head import MultiHeadAttention


class BlockShape(NamedTuple):
    """The sizes of a block: width D, heads h, feed-forward F, dropout, activation, attention
    impl ("fused" or "explicit")."""

    d_model: int
    num_heads: int
    dim_feedforward: int
    dropout: float = 0.0
    activation: str = "relu"
    impl: str = "fused"


class _PreLNBlock(nn.Module):
    """What both blocks share: LN_1 + self-attention, LN_2, the feed-forward and dropout."""

    def __init__(self, shape: BlockShape):
        super().__init__()
        d_model = shape.d_model
        self.norm1 = nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, shape.num_heads, impl=shape.impl)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff = FeedForward(
            d_model, shape.dim_feedforward, dropout=shape.dropout, activation=shape.activation
        )
        self.dropout = nn.Dropout(shape.dropout)

    def _self_attention(
        self, x: Tensor, mask: Tensor | None, cache: KVCache | None
    ) -> tuple[Tensor, KVCache]:
        """x + drop(SelfAttn(LN_1(x))): (B, T, D), and the cache of t + T positions."""
        attended, _, cache = self.self_attn.self_attend(self.norm1(x), cache, mask)
        return x + self.dropout(attended), cache  # (B, T, D)

    def _feed_forward(self, x: Tensor, norm: nn.LayerNorm) -> Tensor:
        """x + drop(FFN(LN(x))): (B, T, D)."""
        return x + self.dropout(self.ff(norm(x)))


class TransformerBlock(_PreLNBlock):
    """Pre-LN self-attention + feed-forward (the encoder's block, and GPT's with a causal mask)."""

    def forward(
        self, x: Tensor, mask: Tensor | None = None, cache: KVCache | None = None
    ) -> tuple[Tensor, KVCache]:
        """x (B, T, D) after ``cache`` (t positions) -> (B, T, D), cache of t + T positions.

        ``mask`` bool, broadcastable to (B, h, T, t + T), True = may attend."""
        x, cache = self._self_attention(x, mask, cache)  # (B, T, D)
        return self._feed_forward(x, self.norm2), cache  # (B, T, D)

    @torch.no_grad()
    def copy_from_torch(self, layer: nn.TransformerEncoderLayer) -> None:
        """Take over the weights of ``nn.TransformerEncoderLayer(norm_first=True)``."""
        self.self_attn.copy_from_torch(layer.self_attn)
        _copy_norms_and_ff(self, layer, 2)


class DecoderBlock(_PreLNBlock):
    """Pre-LN causal self-attention, cross-attention over the memory, and feed-forward.

    As in torch's decoder layer, ``norm2`` comes before the cross-attention and ``norm3``
    before the feed-forward."""

    def __init__(self, shape: BlockShape):
        super().__init__(shape)
        self.cross_attn = MultiHeadAttention(shape.d_model, shape.num_heads, impl=shape.impl)
        self.norm3 = nn.LayerNorm(shape.d_model)

    def memory_keys(self, memory: Tensor) -> KVCache:
        """memory (B, S, D) -> cross-attention keys and values (B, h, S, d_k), once per source."""
        return self.cross_attn.keys(memory)

    def forward(
        self,
        x: Tensor,
        memory: KVCache,
        masks: tuple[Tensor | None, Tensor | None] = (None, None),
        cache: KVCache | None = None,
    ) -> tuple[Tensor, KVCache]:
        """x (B, T, D) after ``cache`` (t positions), memory from :meth:`memory_keys` -> output
        (B, T, D) and the self-attention cache of t + T positions.

        ``masks``: (self-attention mask, broadcastable to (B, h, T, t + T); memory mask,
        broadcastable to (B, h, T, S)), bool, True = may attend."""
        x, cache, _ = self.with_weights(x, memory, masks, cache, need_weights=False)
        return x, cache

    def with_weights(
        self,
        x: Tensor,
        memory: KVCache,
        masks: tuple[Tensor | None, Tensor | None] = (None, None),
        cache: KVCache | None = None,
        *,
        need_weights: bool = True,
    ) -> tuple[Tensor, KVCache, Tensor | None]:
        """As :meth:`forward`, and the cross-attention weights (B, h, T, S) (None without
        ``need_weights`` under the fused impl)."""
        self_mask, memory_mask = masks
        x, cache = self._self_attention(x, self_mask, cache)  # (B, T, D)
        crossed, weights = self.cross_attn.attend(
            self.norm2(x), memory, memory_mask, need_weights=need_weights
        )
        x = x + self.dropout(crossed)  # (B, T, D)
        return self._feed_forward(x, self.norm3), cache, weights  # (B, T, D)

    @torch.no_grad()
    def copy_from_torch(self, layer: nn.TransformerDecoderLayer) -> None:
        """Take over the weights of ``nn.TransformerDecoderLayer(norm_first=True)``."""
        self.self_attn.copy_from_torch(layer.self_attn)
        self.cross_attn.copy_from_torch(layer.multihead_attn)
        _copy_norms_and_ff(self, layer, 3)


def _copy_norms_and_ff(block: nn.Module, layer: nn.Module, norms: int) -> None:
    """norm1..norm{norms}, linear1 and linear2, which both torch layers name alike."""
    for index in range(1, norms + 1):
        getattr(block, f"norm{index}").load_state_dict(getattr(layer, f"norm{index}").state_dict())
    block.ff.linear1.load_state_dict(layer.linear1.state_dict())
    block.ff.linear2.load_state_dict(layer.linear2.state_dict())
