"""Choosing the next token from logits: greedy, temperature, top-k and nucleus (top-p).

Autoregressive generation feeds each chosen token back as the next input, as at test time in
the lecture ("the model's own output becomes its input"), through ``model.step``.

A draw uses the exponential race: ``argmax(p / E)`` with ``E ~ Exp(1)`` picks index i with
probability p_i. It is what ``torch.multinomial(probs, 1)`` computes, without its input checks,
which cost more than the draw at batch 1. The noise ``E`` is drawn separately
(:func:`race_noise`), so a decoder can draw it for every row of a batch, finished or not, and a
row's samples never depend on when the other rows finish.
"""

from __future__ import annotations

import torch
from torch import Tensor


def reshape_logits(
    logits: Tensor, temperature: float, top_k: int = 0, top_p: float = 1.0
) -> Tensor:
    """logits (B, V) -> float32 logits divided by ``temperature``, with every token outside
    the top-k and outside the nucleus (smallest set reaching ``top_p``) at -inf."""
    if logits.dtype != torch.float32:
        logits = logits.float()
    if temperature != 1.0:  # x / 1 is x: one call less per step
        logits = logits / temperature
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = logits.sort(-1, descending=True)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop = cum - sorted_logits.softmax(-1) > top_p  # keep the smallest set reaching top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


def race_noise(shape: tuple[int, int], generator: torch.Generator | None) -> Tensor:
    """Exp(1) noise (B, V) in float32 on the CPU, where generators live."""
    return torch.empty(shape, dtype=torch.float32).exponential_(generator=generator)


def draw(logits: Tensor, noise: Tensor) -> Tensor:
    """One token per row: reshaped logits (B, V), noise (B, V) -> ids (B,)."""
    probs = logits.softmax(-1)
    if not probs.is_cpu:  # the noise is drawn on the CPU, where generators live
        noise = noise.to(probs.device)
    return probs.div_(noise).argmax(-1)
