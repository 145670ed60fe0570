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
from seqlab.decode.greedy import GreedySearch, Picker
from seqlab.decode.search import (
    Attending,
    Decodable,
    Hypothesis,
    SearchOptions,
    TokenCallback,
    step_function,
)
from seqlab.decode.strategy import Beam, Strategy
from seqlab.errors import SeqlabError
from seqlab.nn.step_inference import fixed_weights


def start_search(
    strategy: Strategy, first: Tensor, limits: Tensor, eos: int | None, *, options: SearchOptions
) -> GreedySearch | BeamSearch:
    """The per-call search state of ``strategy`` (see :func:`decode` for the arguments)."""
    if isinstance(strategy, Beam):
        if eos is None:
            raise SeqlabError("beam search needs an end token; this model has none")
        if options.on_token is not None:
            raise SeqlabError("beam search cannot stream tokens: its best output is known last")
        return BeamSearch(strategy, first, limits, eos, options=options)
    horizon = int(limits.max()) if limits.numel() else 0
    picker = Picker(strategy, limits.shape[0], options.groups, horizon)
    return GreedySearch(picker, first, limits, eos, options=options)


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
        model: ``step(tokens (A,), state) -> (logits (A, V), state)``, ``select`` and
            ``log_probs`` (:class:`~seqlab.decode.search.Decodable`).
        state: the model's state before the first step (from its ``start``).
        strategy: :class:`Greedy`, :class:`Sample` or :class:`Beam`.
        first: (B,) the first step's input tokens (<sos>, or the last token of a prime).
        limits: (B,) at most this many tokens per sentence (<eos> not counted).
        eos: the end token; None runs every sentence to its limit.
        banned: tokens never chosen (their logits are set to -inf), e.g. <pad> and <sos>.
        attention, compact, on_token, scores, groups: how the search runs, gathered into one
            :class:`~seqlab.decode.search.SearchOptions` (see it for each), which is all the
            search itself sees. With ``attention`` the states must be
            :class:`~seqlab.decode.search.Attending`.
    """
    flags = {"attention": attention, "compact": compact, "on_token": on_token, "scores": scores}
    groups = tuple(groups) if groups else None
    options = SearchOptions(**flags, groups=groups, normalized=model.log_probs)
    search = start_search(strategy, first, limits, eos, options=options)
    if search.expand is not None:
        state = model.select(state, search.expand)
    ban = torch.tensor(list(banned), dtype=torch.long, device=limits.device) if banned else None
    with fixed_weights():  # prepared steps are verified once, not at every step
        step = step_function(model)  # the model's step, resolved once for the whole call
        while not search.done:
            logits, state = step(search.tokens, state)  # (A, V)
            if ban is not None:
                logits = logits.index_fill(1, ban.to(logits.device), float("-inf"))
            search.advance(logits, _attention(state) if attention else None)
            if search.reorder is not None and not search.done:
                state = model.select(state, search.reorder)
    return search.finish()


def _attention(state: Attending) -> Tensor | None:
    """The last step's attention weights (A, S) of a state that keeps them."""
    return state.attn
