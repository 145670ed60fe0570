"""What every decoding strategy shares: the model protocol, the hypothesis it returns, length
limits and penalties.

A model is decoded through what :class:`Decodable` declares::

    state = model.start(...)                              model-specific: a source, a prime,
                                                          a condition
    step(tokens (B,), state) -> (logits (B, V), state)    one token per row
    select(state, index (N,)) -> state                    rows of the batch: reorder beams,
                                                          drop finished sentences
    log_probs                                             True when step's outputs are
                                                          log-probabilities already (an
                                                          exported graph's), False for logits

A model decoded with attention kept returns states that are :class:`Attending`: their ``attn``
(B, S) holds the attention weights of the last step. Strategies return, per sentence,
hypotheses of token ids without the first token and without <eos>.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from torch import Tensor

from seqlab.decode.limits import LENGTH_PENALTIES


class Decodable(Protocol):
    """The model side of decoding (see the module docstring).

    A model may also have ``decoding_step()``: the function to call instead of ``step`` for the
    rest of one decoding call (inside :func:`~seqlab.nn.step_inference.fixed_weights`), e.g. its
    prepared step, bound once. At batch 1 each Python call and module attribute on the way to
    the step costs about a small kernel, so resolving them once per call is measurable.
    """

    log_probs: bool

    def step(self, tokens: Tensor, state: Any) -> tuple[Tensor, Any]: ...

    def select(self, state: Any, index: Tensor) -> Any: ...


def step_function(model: Decodable) -> Callable[[Tensor, Any], tuple[Tensor, Any]]:
    """``model.decoding_step()`` where the model has one, else ``model.step``."""
    decoding_step = getattr(model, "decoding_step", None)
    return model.step if decoding_step is None else decoding_step()


class Attending(Protocol):
    """A decoder state that keeps its last step's attention weights, (B, S), or None."""

    attn: Tensor | None


TokenCallback = Callable[[list[int], list[int]], None]
"""on_token(batch rows, tokens): the tokens just produced by rows still going (no <eos>)."""


@dataclass(frozen=True)
class SearchOptions:
    """How one decoding call runs, whatever its strategy (see :func:`seqlab.decode.loop.decode`).

    attention: keep ``state.attn`` of every step in the hypotheses.
    compact: greedy and sampling drop finished rows from the batch (beam search always does).
    on_token: greedy and sampling call ``on_token(rows, tokens)`` after every step.
    scores: greedy and sampling sum each output's log-probability (NaN without).
    groups: sampling only: rows per caller, side by side; each group draws its own stream.
    normalized: the model's outputs are log-probabilities already (:attr:`Decodable.log_probs`).
    """

    attention: bool = False
    compact: bool = True
    on_token: TokenCallback | None = None
    scores: bool = True
    groups: tuple[int, ...] | None = None
    normalized: bool = False


@dataclass
class Hypothesis:
    """tokens: output ids (no first token, no <eos>); score: log-probability (length-normalised
    for beam search); attention: (steps, S) weights per decoder step (an <eos> step included when
    the hypothesis ended with <eos>), or None; finished: ended with <eos>."""

    tokens: list[int]
    score: float
    attention: Tensor | None = None
    finished: bool = True


def max_lengths(src_lengths: Tensor, ratio: float, offset: int) -> Tensor:
    """Decoding limit per sentence: ``ratio * source length + offset`` tokens. (B,) -> (B,)."""
    return (src_lengths.double() * ratio).floor().long() + offset


def length_penalty(length: int, kind: str = "none", alpha: float = 0.6) -> float:
    """The divisor of a hypothesis' log-probability.

    none: 1 (raw log-probability; favours short outputs). avg: the length (mean log-prob per
    token). gnmt: ((5 + length) / 6) ** alpha (Wu et al. 2016), alpha in [0, 1].
    """
    if kind == "none":
        return 1.0
    if kind == "avg":
        return float(max(1, length))
    if kind == "gnmt":
        return math.pow((5.0 + length) / 6.0, alpha)
    raise ValueError(f"unknown length penalty {kind!r}; expected one of {LENGTH_PENALTIES}")
