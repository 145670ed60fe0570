"""An ensemble: N models with the same vocabularies, answering as one model.

Each member's output is turned into log-probabilities, and the ensemble answers the log of the
members' **mean probability**::

    log p(y) = logsumexp_i( log_softmax(out_i)(y) ) - log N

It does so wherever a model gives a distribution: at every decoding step (``start``/``step``/
``select``, the :class:`~seqlab.decode.search.Decodable` protocol, so greedy, sampling and beam
search run over it unchanged) and for a classifier's classes (``forward``: a softmax of the
result is the mean of the members' class probabilities). An ensemble of one model answers that
model's log-probabilities. The tagger's ensemble is
:class:`~seqlab.models.tagger_ensemble.TaggerEnsemble`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn


def mean_probability(outputs: Sequence[Tensor]) -> Tensor:
    """N tensors of logits or log-probabilities (..., V) -> the log of their mean probability
    (..., V), in float32 at least."""
    logs = torch.stack([out.float().log_softmax(-1) for out in outputs])  # (N, ..., V)
    if len(outputs) == 1:
        return logs[0]
    return torch.logsumexp(logs, dim=0) - math.log(len(outputs))


@dataclass
class EnsembleState:
    """The members' decoder states, in member order."""

    states: list[Any]

    @property
    def attn(self) -> Tensor | None:
        """The members' mean attention of the last step (B, S), or None if a member keeps
        none (:class:`~seqlab.decode.search.Attending`)."""
        attns = [s.attn for s in self.states]
        if any(a is None for a in attns):
            return None
        return torch.stack(attns).mean(0)


class Ensemble(nn.Module):
    """Members that start, step and classify alike; see the module docstring.

    Args:
        members: models of one task over the same vocabularies (at least one).
    """

    log_probs = True  # decoding: step returns log-probabilities (the mean probability's log)

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one model")
        self.members = nn.ModuleList(members)

    @property
    def has_attention(self) -> bool:
        """Whether every member keeps attention weights (members that are seq2seq models)."""
        return all(m.has_attention for m in self.members)

    def start(self, *inputs: Tensor) -> EnsembleState:
        """Each member's ``start(*inputs)`` (a source and its lengths, a prime, a condition)."""
        return EnsembleState([m.start(*inputs) for m in self.members])

    def step(self, tokens: Tensor, state: EnsembleState) -> tuple[Tensor, EnsembleState]:
        """tokens (B,) -> (log mean probability (B, V), the members' next states)."""
        outs = [m.step(tokens, s) for m, s in zip(self.members, state.states, strict=True)]
        return mean_probability([o[0] for o in outs]), EnsembleState([o[1] for o in outs])

    def select(self, state: EnsembleState, index: Tensor) -> EnsembleState:
        """The rows ``index`` (N,) of every member's state."""
        pairs = zip(self.members, state.states, strict=True)
        return EnsembleState([m.select(s, index) for m, s in pairs])

    def forward(self, *inputs: Tensor) -> Tensor:
        """A classifier's inputs (tokens (B, T), lengths (B,)) -> the log of the members' mean
        class probabilities (B, C)."""
        return mean_probability([m(*inputs) for m in self.members])
