"""What every decoding strategy shares: the hypothesis it returns, length limits and penalties.

A strategy drives a model only through two functions::

    step(tokens (B,), state) -> (logits (B, V), state)   e.g. Seq2Seq.step
    select(state, index (N,)) -> state                    rows of the batch (beam reordering)

and returns, per sentence, hypotheses of target ids without <sos> and <eos>.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import Tensor

StepFn = Callable[[Tensor, Any], tuple[Tensor, Any]]
SelectFn = Callable[[Any, Tensor], Any]

LENGTH_PENALTIES = ("none", "avg", "gnmt")


@dataclass
class Hypothesis:
    """tokens: target ids (no <sos>/<eos>); score: log-probability (length-normalised for
    beam search); attention: (steps, S) weights per decoder step (an <eos> step included when
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
