"""The one decoding loop: any strategy over any model that can ``step`` and ``select``.

    search = the strategy's search state (first tokens, length limits)
    state  = model.select(state, search.expand)            beam: K rows per sentence
    until search.done:
        logits, state = model.step(search.tokens, state)    (A, V), A = live rows
        search.advance(logits, state.attn)                 choose, score, finish rows
        state = model.select(state, search.reorder)        follow beams, drop finished rows

As in OpenNMT-py's ``DecodeStrategy.advance``, the model only scores and the strategy only
chooses, so greedy decoding, sampling and beam search work for the seq2seq model, the language
model and the conditional generator alike. The strategies are in :mod:`seqlab.decode.strategy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from seqlab.decode.beam import BeamSearch
from seqlab.decode.greedy import GreedySearch, Picker, TokenCallback
from seqlab.decode.search import Decodable, Hypothesis
from seqlab.decode.strategy import Beam, Strategy
from seqlab.errors import SeqlabError


def start_search(
    strategy: Strategy,
    first: Tensor,
    limits: Tensor,
    eos: int | None,
    *,
    attention: bool = False,
    compact: bool = True,
    on_token: TokenCallback | None = None,
    scores: bool = True,
    groups: Sequence[int] | None = None,
    normalized: bool = False,
) -> GreedySearch | BeamSearch:
    """The per-call search state of ``strategy`` (see :func:`decode` for the arguments)."""
    if isinstance(strategy, Beam):
        if eos is None:
            raise SeqlabError("beam search needs an end token; this model has none")
        if on_token is not None:
            raise SeqlabError("beam search cannot stream tokens: its best output is known last")
        return BeamSearch(strategy, first, limits, eos, attention=attention, normalized=normalized)
    return GreedySearch(
        Picker(strategy, limits.shape[0], groups),
        first,
        limits,
        eos,
        attention=attention,
        compact=compact,
        on_token=on_token,
        scores=scores,
        normalized=normalized,
    )


@torch.inference_mode()
def decode(
    model: Decodable,
    state: Any,
    strategy: Strategy,
    *,
    first: Tensor,
    limits: Tensor,
    eos: int | None,
    banned: Sequence[int] = (),
    attention: bool = False,
    compact: bool = True,
    on_token: TokenCallback | None = None,
    scores: bool = True,
    groups: Sequence[int] | None = None,
) -> list[list[Hypothesis]]:
    """Decode a batch; per sentence, its hypotheses (one, or ``n_best`` for beam search).

    Args:
        model: ``step(tokens (A,), state) -> (logits (A, V), state)`` and ``select``.
        state: the model's state before the first step (from its ``start``).
        strategy: :class:`Greedy`, :class:`Sample` or :class:`Beam`.
        first: (B,) the first step's input tokens (<sos>, or the last token of a prime).
        limits: (B,) at most this many tokens per sentence (<eos> not counted).
        eos: the end token; None runs every sentence to its limit.
        banned: tokens never chosen (their logits are set to -inf), e.g. <pad> and <sos>.
        attention: keep ``state.attn`` of every step in the hypotheses.
        compact: greedy and sampling drop finished rows from the batch (beam always does).
        on_token: greedy and sampling call ``on_token(rows, tokens)`` after every step with the
            tokens just produced, for streaming.
        scores: greedy and sampling sum each output's log-probability; without, its score is
            NaN (generation, which shows none, saves that work at every step).
        groups: sampling only: the batch is several callers' rows side by side, this many
            each; every group draws from its own stream (seeded alike), as it would alone.
    """
    options = {"attention": attention, "compact": compact, "on_token": on_token}
    options.update(scores=scores, groups=groups)
    options["normalized"] = getattr(model, "log_probs", False)  # an export's step: log-probs
    search = start_search(strategy, first, limits, eos, **options)
    if search.expand is not None:
        state = model.select(state, search.expand)
    ban = torch.tensor(list(banned), dtype=torch.long, device=limits.device) if banned else None
    while not search.done:
        logits, state = model.step(search.tokens, state)  # (A, V)
        if ban is not None:
            logits = logits.index_fill(1, ban.to(logits.device), float("-inf"))
        search.advance(logits, getattr(state, "attn", None) if attention else None)
        if search.reorder is not None and not search.done:
            state = model.select(state, search.reorder)
    return search.finish()
