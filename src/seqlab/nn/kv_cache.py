"""The key/value cache: what self-attention keeps between decoding steps.

At step t a decoder needs the keys and values of every earlier position. They never change once
computed (position s < t attends only to positions <= s), so instead of running the whole prefix
again, each layer keeps them and appends one row per step::

    recompute:  step t projects all t tokens, and attends t x t         O(t^2) per step
    cache:      step t projects 1 token, appends it, attends 1 x t      O(t)   per step

(Appending with ``torch.cat`` copies the t cached rows, which is O(t) too; a preallocated
buffer would save the copy, not change the order.)

Shapes: keys and values (B, heads, t, d_k). The cache is a plain tuple of tensors, so a decoding
state is a tuple of caches (one per layer) and beam search reorders it with :meth:`KVCache.select`.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor


class KVCache(NamedTuple):
    """keys and values (B, heads, t, d_k) of the t positions seen so far."""

    keys: Tensor
    values: Tensor

    @property
    def length(self) -> int:
        """t, the number of positions cached."""
        return self.keys.shape[2]

    def select(self, index: Tensor) -> KVCache:
        """Rows ``index`` (N,) of the batch: (B, h, t, d_k) -> (N, h, t, d_k)."""
        return KVCache(self.keys.index_select(0, index), self.values.index_select(0, index))


def extend(cache: KVCache | None, new: KVCache) -> KVCache:
    """Append ``new`` (B, h, T, d_k) after ``cache`` (B, h, t, d_k) -> (B, h, t + T, d_k)."""
    if cache is None:
        return new
    keys = torch.cat([cache.keys, new.keys], dim=2)  # (B, h, t + T, d_k)
    values = torch.cat([cache.values, new.values], dim=2)  # (B, h, t + T, d_k)
    return KVCache(keys, values)
