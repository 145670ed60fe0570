"""Greedy decoding and sampling, batched: one token per sentence per step, fed back in.

Each sentence stops at its own <eos> or its own length limit. Given ``select`` (the model's row
reordering, as in beam search), a finished sentence leaves the batch, so later steps run on fewer
rows; without it, finished rows keep stepping and their output is ignored. Either way a sentence
decodes the same alone or inside any batch (for greedy; sampling draws depend on the batch).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from seqlab.decode.sampling import pick_next
from seqlab.decode.search import Hypothesis, SelectFn, StepFn


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
    select: SelectFn | None = None,
) -> list[Hypothesis]:
    """Decode a batch: max_lengths (B,) tokens at most per sentence (<eos> not counted).

    ``temperature`` 0 takes the argmax (greedy); above 0 it samples (with top-k / top-p).
    With ``attention`` each hypothesis keeps ``state.attn`` of every step.
    """
    batch = max_lengths.shape[0]
    device = max_lengths.device
    rows = torch.arange(batch, device=device)  # (A,) the batch row of each live row
    tokens = torch.full((batch,), sos, dtype=torch.long, device=device)  # (A,)
    done = torch.zeros(batch, dtype=torch.bool, device=device)  # (A,)
    scores = torch.zeros(batch, dtype=torch.float64, device=device)  # (B,)
    steps: list[tuple[Tensor, Tensor, Tensor | None]] = []  # per step: rows, tokens, attn
    for t in range(int(max_lengths.max())):
        logits, state = step(tokens, state)  # (A, V)
        nxt = pick_next(logits, temperature, top_k, top_p, generator)  # (A,)
        logp = torch.log_softmax(logits, -1).gather(1, nxt[:, None]).squeeze(1)  # (A,)
        scores[rows] += torch.where(done, 0.0, logp.double())
        steps.append((rows, nxt, state.attn if attention else None))
        done |= (nxt == eos) | (t + 1 >= max_lengths[rows])
        if bool(done.all()):
            break
        if select is not None and bool(done.any()):
            keep = (~done).nonzero().squeeze(1)  # (A',)
            state = select(state, keep)
            rows, nxt, done = rows[keep], nxt[keep], done[keep]
        tokens = nxt
    ids = torch.full((batch, len(steps)), eos, dtype=torch.long, device=device)  # (B, steps)
    attn = None
    if attention and steps[0][2] is not None:
        attn = steps[0][2].new_zeros(batch, len(steps), steps[0][2].shape[-1])  # (B, steps, S)
    for t, (at, tok, weights) in enumerate(steps):
        ids[at, t] = tok
        if attn is not None:
            attn[at, t] = weights
    id_lists = ids.tolist()
    return [
        _hypothesis(id_lists[b], float(scores[b]), eos, int(max_lengths[b]), attn, b)
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
