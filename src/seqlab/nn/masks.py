"""Which keys may a query look at: the causal mask and the key padding mask.

Every mask here is boolean, True = "may attend". In the attention equation it enters as an
additive term, 0 where True and -inf where False, so a forbidden key gets softmax weight 0::

    softmax(Q K^T / sqrt(d_k) + M) V,      M[t, s] = 0 if mask[t, s] else -inf

The causal mask lets position t see positions s <= t only (a language model must not read the
token it predicts). With a key/value cache the T new queries sit at the end of S keys, so query
t is at absolute position (S - T) + t::

    T = S = 4            T = 1, S = 4 (one cached step)
    1 0 0 0              1 1 1 1
    1 1 0 0
    1 1 1 0
    1 1 1 1

The key padding mask hides the padding at the end of shorter rows of a batch: key s of row b is
real when s < lengths[b].
"""

from __future__ import annotations

import torch
from torch import Tensor


def causal_mask(query_len: int, key_len: int | None = None, device=None) -> Tensor:
    """(T, S) bool: query t (absolute position S - T + t) may attend keys s <= S - T + t."""
    key_len = query_len if key_len is None else key_len
    if key_len < query_len:
        raise ValueError(
            f"causal mask: {query_len} queries need at least as many keys, got {key_len}"
        )
    offset = key_len - query_len
    rows = torch.arange(query_len, device=device).unsqueeze(1) + offset  # (T, 1)
    cols = torch.arange(key_len, device=device).unsqueeze(0)  # (1, S)
    return cols <= rows  # (T, S)


def key_padding_mask(lengths: Tensor, key_len: int) -> Tensor:
    """(B, S) bool, True for real keys: lengths (B,) -> key s of row b is real if s < lengths[b]."""
    positions = torch.arange(key_len, device=lengths.device)  # (S,)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)  # (B, S)


def attention_mask(
    query_len: int, key_len: int, *, causal: bool = False, lengths: Tensor | None = None
) -> Tensor | None:
    """The mask one attention call needs, broadcastable to (B, heads, T, S); None = no mask.

    ``causal`` adds the causal mask (T, S); ``lengths`` (B,) adds the key padding mask, as
    (B, 1, 1, S). Both together: their logical and, (B, 1, T, S).
    """
    device = None if lengths is None else lengths.device
    mask = causal_mask(query_len, key_len, device) if causal else None  # (T, S)
    if lengths is not None:
        padding = key_padding_mask(lengths, key_len)[:, None, None, :]  # (B, 1, 1, S)
        mask = padding if mask is None else padding & mask  # (B, 1, T, S)
    return mask


def additive_mask(mask: Tensor, dtype: torch.dtype) -> Tensor:
    """The term M of the equation: 0 where ``mask`` is True, -inf where it is False."""
    zeros = torch.zeros(mask.shape, dtype=dtype, device=mask.device)
    return zeros.masked_fill(~mask, float("-inf"))
