"""Choosing the next token from logits: greedy, temperature, top-k and nucleus (top-p).

Autoregressive generation feeds each chosen token back as the next input, as at test time in
the lecture ("the model's own output becomes its input"), through ``model.step``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor


def pick_next(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """logits (B, V) -> token ids (B,). ``temperature`` 0 means greedy (argmax)."""
    if temperature <= 0:
        return logits.argmax(-1)
    logits = logits.float() / temperature
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = logits.sort(-1, descending=True)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop = cum - sorted_logits.softmax(-1) > top_p  # keep the smallest set reaching top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    probs = logits.softmax(-1)
    # One draw per row by the exponential race: argmax(p / E), E ~ Exp(1), which picks index i
    # with probability p_i. It is what torch.multinomial(probs, 1) computes, without its input
    # checks, which cost more than the draw at batch 1 (softmax output needs none).
    race = torch.empty_like(probs).exponential_(generator=generator)
    return probs.div_(race).argmax(-1)


@torch.inference_mode()
def generate(
    step: Callable[[Tensor, Any], tuple[Tensor, Any]],
    prime: Tensor,
    length: int,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    state: Any = None,
    generator: torch.Generator | None = None,
    stop_ids: set[int] | None = None,
) -> Iterator[int]:
    """Yield ``length`` token ids (batch 1), after feeding ``prime`` (T,) one step at a time.

    ``step(tokens (1,), state) -> (logits (1, V), state)``, e.g. ``LanguageModel.step``.
    """
    logits = None
    for tok in prime.tolist():
        logits, state = step(torch.tensor([tok], device=prime.device), state)
    if logits is None:
        raise ValueError("generation needs at least one prime token")
    for _ in range(length):
        nxt = pick_next(logits, temperature, top_k, top_p, generator)
        tok = int(nxt.item())
        if stop_ids and tok in stop_ids:
            return
        yield tok
        logits, state = step(nxt, state)
