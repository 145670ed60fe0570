"""The language model's step for inference: the RNN from prepared weights, and the output layer
as one ``addmm`` over its transposed weight.

At batch 1 an output layer called as ``nn.Linear`` costs several times its arithmetic: the
weight is a parameter, whose autograd bookkeeping runs even under inference mode, and ``linear``
reads it across its rows. :class:`LMInference` keeps ``W^T`` (H, V) and the bias outside
autograd, so the step is the RNN's prepared step (:mod:`seqlab.nn.step_inference`) and one
product. An adaptive softmax, or a projection before a tied output, runs through the model's own
head. Eval mode only (dropout is the identity). Logits equal the module step to float rounding.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import Tensor

from seqlab.nn.recurrent import State
from seqlab.nn.step_inference import (
    StepInference,
    parameter_slots,
    parameters_key,
    slot_values,
    transposed,
)


class LMInference:
    """Prepared weights of one :class:`~seqlab.models.lm.LanguageModel`, for ``step`` only."""

    def __init__(self, lm: Any):
        self.slots = parameter_slots(lm)  # every weight: the RNN's, the embedding, the head
        self.key = parameters_key(slot_values(self.slots))
        self.owner = weakref.ref(lm)
        self.rnn = StepInference(lm.rnn, lm.embedding.weight)
        self.out_t = self.out_b = None
        if not lm.adaptive and lm.proj is None:
            with torch.no_grad():
                self.out_t, self.out_b = transposed(lm.output)  # (H, V), (V,)

    def fresh(self, lm: Any) -> bool:
        """The weights it was prepared from are the model's weights, unchanged."""
        if self.owner() is not lm:
            return False
        return self.key == parameters_key(slot_values(self.slots))

    def step(self, tokens: Tensor, state: State | None) -> tuple[Tensor, State]:
        """tokens (B,) -> logits (B, V) (log-probabilities for an adaptive head), new state."""
        out, state = self.rnn.step(None, state, tokens)  # (B, H)
        if self.out_t is None:  # the model's own head (adaptive, or projected and tied)
            return self.owner()._head(out), state
        return torch.addmm(self.out_b, out, self.out_t), state
