"""Positions: attention is blind to order, so each token's vector gets its position added.

Self-attention treats its input as a set: permute the tokens and the outputs permute with them.
Order enters only through a position vector p_t added to the token's embedding, x_t + p_t.

- **sinusoidal** (Vaswani et al. 2017), fixed, nothing to learn::

      P[t, 2i]   = sin(t / 10000^(2i / D))
      P[t, 2i+1] = cos(t / 10000^(2i / D))

  Each pair of dimensions is a clock of its own frequency, from one turn per 2*pi positions down
  to one per 10000 * 2*pi; P[t + k] is a fixed rotation of P[t], so relative offsets are easy to
  read off.
- **learned** (GPT): an ``nn.Embedding(max_len, D)`` trained with the rest, max_len * D
  parameters, and no position beyond max_len.

Both take ``offset``, the absolute position of the first of the T tokens, so that a decoding
step with a key/value cache of t positions adds P[t]; a (B,) tensor gives each row its own.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

POSITION_KINDS = ("sinusoidal", "learned")


def sinusoidal_table(max_len: int, dim: int) -> Tensor:
    """P (max_len, dim) of the formula above (dim even)."""
    if dim % 2:
        raise ValueError(f"sinusoidal positions need an even dimension, got {dim}")
    positions = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)  # (L, 1)
    rates = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    angles = positions * rates  # (L, D/2): t / 10000^(2i/D)
    table = torch.zeros(max_len, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table.float()  # (L, D)


class Positions(nn.Module):
    """Base: ``forward(x (B, T, D), offset=0)`` -> x + P[offset : offset + T]."""

    max_len: int

    def table(self) -> Tensor:
        """P (max_len, D)."""
        raise NotImplementedError

    def forward(self, x: Tensor, offset: int | Tensor = 0) -> Tensor:
        """x (B, T, D) -> x + P[offset + t] for t < T; ``offset`` an int, or (B,) per row (rows
        of a batch that have read primes of different lengths)."""
        steps = x.shape[1]
        last = offset + steps - 1 if isinstance(offset, int) else int(offset.max()) + steps - 1
        if last >= self.max_len:
            raise ValueError(
                f"position {last} is beyond max_len {self.max_len}; "
                "use a longer max_len or a shorter sequence"
            )
        table = self.table().to(x.dtype)  # (L, D)
        if isinstance(offset, int):
            return x + table[offset : offset + steps]  # (B, T, D)
        index = offset.unsqueeze(1) + torch.arange(steps, device=x.device)  # (B, T)
        return x + table[index]  # (B, T, D)


class SinusoidalPositions(Positions):
    """Fixed sines and cosines; a buffer, not saved (it is a function of max_len and D)."""

    def __init__(self, max_len: int, dim: int):
        super().__init__()
        self.max_len = max_len
        self.register_buffer("sinusoids", sinusoidal_table(max_len, dim), persistent=False)

    def table(self) -> Tensor:
        return self.sinusoids


class LearnedPositions(Positions):
    """One trained vector per position, as in GPT (``weight`` (max_len, D))."""

    def __init__(self, max_len: int, dim: int):
        super().__init__()
        self.max_len = max_len
        self.embedding = nn.Embedding(max_len, dim)
        nn.init.normal_(self.embedding.weight, std=0.02)

    def table(self) -> Tensor:
        return self.embedding.weight


def build_positions(kind: str, max_len: int, dim: int) -> Positions:
    """``sinusoidal`` or ``learned`` positions for up to ``max_len`` tokens of width ``dim``."""
    if kind == "sinusoidal":
        return SinusoidalPositions(max_len, dim)
    if kind == "learned":
        return LearnedPositions(max_len, dim)
    raise ValueError(f"unknown positions {kind!r}; expected one of {', '.join(POSITION_KINDS)}")
