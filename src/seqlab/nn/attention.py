"""Attention over an encoder's outputs ("memory"): where should the decoder look now?

For a decoder query q (B, Q) and the encoder outputs m_1..m_S (B, S, K)::

    scores  e_s = score(q, m_s)                     (B, S)
    weights a   = softmax(e) over valid positions   (B, S), padding gets exactly 0
    context c   = sum_s a_s m_s                     (B, K)

The scores, from the lecture:

    bahdanau (additive)   e_s = v^T tanh(W_q q + W_m m_s)     Bahdanau et al. 2015
    luong dot             e_s = q . m_s                       Luong et al. 2015 (Q must equal K)
    luong general         e_s = q^T W m_s
    luong concat          e_s = v^T tanh(W [q; m_s])          = v^T tanh(W_q q + W_m m_s)

Keys that depend only on the memory (``W_m m_s``, ``W m_s``) are computed once per source by
:meth:`Attention.keys` and reused at every decoder step. This is seqlab's one implementation of
attention: the decoder uses it, and so do the models ``seqlab params`` builds to check counts.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

ATTENTION_KINDS = ("none", "bahdanau", "luong")
LUONG_SCORES = ("dot", "general", "concat")


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """Softmax over the last axis where ``mask`` is True; masked positions get weight 0.

    scores (B, S), mask (B, S) bool, at least one True per row.
    """
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


class Attention(nn.Module):
    """Base: ``keys(memory)`` once, then ``forward(query, keys, memory, mask)`` per step."""

    def keys(self, memory: Tensor) -> Tensor:
        """memory (B, S, K) -> keys (B, S, A), the memory-only part of the score."""
        return memory

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, T, Q), keys (B, S, A) -> scores (B, T, S)."""
        raise NotImplementedError

    def forward(
        self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Attend for one step or for all T steps at once.

        query (B, Q) or (B, T, Q), keys (B, S, A), memory (B, S, K), mask (B, S) bool
        (True = real token) -> context (B, K) or (B, T, K), weights (B, S) or (B, T, S).
        """
        one_step = query.dim() == 2
        queries = query.unsqueeze(1) if one_step else query  # (B, T, Q)
        weights = masked_softmax(self.score(queries, keys), mask.unsqueeze(1))  # (B, T, S)
        context = torch.bmm(weights, memory)  # (B, T, K)
        if one_step:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class BahdanauAttention(Attention):
    """Additive attention: ``v^T tanh(W_q q + W_m m + b)`` (``bias``: the b; Keras has none)."""

    def __init__(self, query_size: int, memory_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.query_proj = nn.Linear(query_size, hidden_size, bias=False)
        self.memory_proj = nn.Linear(memory_size, hidden_size, bias=bias)
        self.v = nn.Linear(hidden_size, 1, bias=False)

    def keys(self, memory: Tensor) -> Tensor:
        return self.memory_proj(memory)  # (B, S, A)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        q = self.query_proj(query).unsqueeze(2)  # (B, T, 1, A)
        return self.v(torch.tanh(q + keys.unsqueeze(1))).squeeze(-1)  # (B, T, S)


class LuongAttention(Attention):
    """Multiplicative attention: ``q . m`` (dot) or ``q^T W m`` (general)."""

    def __init__(self, query_size: int, memory_size: int, score: str = "general"):
        super().__init__()
        if score not in ("dot", "general"):
            raise ValueError(f"unknown luong score {score!r}; expected one of dot, general")
        if score == "dot" and query_size != memory_size:
            raise ValueError(
                f"luong dot attention needs query size == memory size, got {query_size} and "
                f"{memory_size}; use score 'general'"
            )
        self.kind = score
        general = score == "general"
        self.memory_proj = nn.Linear(memory_size, query_size, bias=False) if general else None

    def keys(self, memory: Tensor) -> Tensor:
        return memory if self.memory_proj is None else self.memory_proj(memory)  # (B, S, Q)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return torch.bmm(query, keys.transpose(1, 2))  # (B, T, S)

    def extra_repr(self) -> str:
        return f"score={self.kind!r}"


class ConcatAttention(Attention):
    """Luong's concat score: ``v^T tanh(W [q; m])``, W of shape (A, Q + K), no biases.

    ``W [q; m] = W_q q + W_m m``, so the memory half is a key computed once per source.
    """

    def __init__(self, query_size: int, memory_size: int, hidden_size: int):
        super().__init__()
        self.query_size = query_size
        self.proj = nn.Linear(query_size + memory_size, hidden_size, bias=False)
        self.v = nn.Linear(hidden_size, 1, bias=False)

    def keys(self, memory: Tensor) -> Tensor:
        return memory @ self.proj.weight[:, self.query_size :].T  # (B, S, A)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        q = query @ self.proj.weight[:, : self.query_size].T  # (B, T, A)
        return self.v(torch.tanh(q.unsqueeze(2) + keys.unsqueeze(1))).squeeze(-1)  # (B, T, S)


def build_attention(
    kind: str, query_size: int, memory_size: int, hidden_size: int = 0, *, score: str = "general"
) -> Attention | None:
    """``none`` -> None; ``bahdanau``; ``luong`` with ``score`` dot, general or concat.
    ``hidden_size`` is the size A of the tanh layer of bahdanau and concat (0: the query size)."""
    if kind == "none":
        return None
    if kind == "bahdanau":
        return BahdanauAttention(query_size, memory_size, hidden_size or query_size)
    if kind == "luong" and score == "concat":
        return ConcatAttention(query_size, memory_size, hidden_size or query_size)
    if kind == "luong":
        return LuongAttention(query_size, memory_size, score)
    raise ValueError(f"unknown attention {kind!r}; expected one of {', '.join(ATTENTION_KINDS)}")
