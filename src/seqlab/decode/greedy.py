"""Greedy decoding and sampling, batched: one token per sentence per step, fed back in.

Each sentence stops at its own <eos> or its own length limit; finished rows keep stepping (their
output is ignored), so a sentence decodes the same alone or inside any batch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from seqlab.decode.sampling import pick_next
from seqlab.decode.search import Hypothesis, StepFn


@torch.no_grad()
def greedy_search(
    step: StepFn,
    state: Any,
    max_lengths: Tensor,
    sos: int,
    eos: int,
    temperature: float = 0.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
    attention: bool = False,
) -> list[Hypothesis]:
    """Decode a batch: max_lengths (B,) tokens at most per sentence (<eos> not counted).

    ``temperature`` 0 takes the argmax (greedy); above 0 it samples (with top-k / top-p).
    With ``attention`` each hypothesis keeps ``state.attn`` of every step.
    """
    batch = max_lengths.shape[0]
    device = max_lengths.device
    tokens = torch.full((batch,), sos, dtype=torch.long, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    scores = torch.zeros(batch, dtype=torch.float64, device=device)
    chosen, attns = [], []
    for t in range(int(max_lengths.max())):
        logits, state = step(tokens, state)  # (B, V)
        nxt = pick_next(logits, temperature, top_k, top_p, generator)  # (B,)
        logp = torch.log_softmax(logits, -1).gather(1, nxt[:, None]).squeeze(1)  # (B,)
        scores += torch.where(done, 0.0, logp.double())
        chosen.append(nxt)
        if attention:
            attns.append(state.attn)
        done |= (nxt == eos) | (t + 1 >= max_lengths)
        if bool(done.all()):
            break
        tokens = nxt
    ids = torch.stack(chosen, 1).tolist()  # (B, steps)
    attn = torch.stack(attns, 1) if attention and attns[0] is not None else None  # (B, steps, S)
    return [
        _hypothesis(ids[b], float(scores[b]), eos, int(max_lengths[b]), attn, b)
        for b in range(batch)
    ]


def _hypothesis(
    ids: list[int], score: float, eos: int, limit: int, attn: Tensor | None, row: int
) -> Hypothesis:
    ended = eos in ids[:limit]
    tokens = ids[: ids.index(eos)] if ended else ids[:limit]
    steps = len(tokens) + ended
    weights = attn[row, :steps] if attn is not None else None
    return Hypothesis(tokens, score, weights, ended)
