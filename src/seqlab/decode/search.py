"""What every decoding strategy shares: the model protocol, the hypothesis it returns, length
limits and penalties.

A model is decoded through three methods (:class:`Decodable`)::

    state = model.start(...)                              model-specific: a source, a prime,
                                                          a condition
    step(tokens (B,), state) -> (logits (B, V), state)    one token per row
    select(state, index (N,)) -> state                    rows of the batch: reorder beams,
                                                          drop finished sentences

A state may expose ``attn`` (B, S), the attention weights of its last step, which decoding can
keep per hypothesis. Strategies return, per sentence, hypotheses of token ids without the first
token and without <eos>.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from torch import Tensor

LENGTH_PENALTIES = ("none", "avg", "gnmt")


class Decodable(Protocol):
    """The model side of decoding (see the module docstring)."""

    def step(self, tokens: Tensor, state: Any) -> tuple[Tensor, Any]: ...

    def select(self, state: Any, index: Tensor) -> Any: ...


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
    raise ValueError(f"unknown length penalty {kind!r}; expected one of none, avg, gnmt")
