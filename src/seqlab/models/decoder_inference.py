"""The decoder's step for inference: the same wiring, from weights prepared once.

:class:`DecoderInference` stands in for the decoder inside a wiring's ``step``
(:mod:`seqlab.models.wiring`): it has the ``rnn.step``, ``rnn_input``, ``attend`` and
``combined`` a wiring calls, but

- the RNN is a :class:`~seqlab.nn.step_inference.StepInference`; its first layer looks up the
  embedding's share of the gates in a table, so the embedding itself is never multiplied, nor
  concatenated with the context (``rnn_input`` gives the context alone);
- additive attention projects the query with a pre-transposed ``W_q`` and scores with one
  matrix-vector product against ``v``, and masks nothing when no row has padding (a lone
  sentence: the state's ``padded``);
- the combine layer runs as two ``addmm`` (no concatenation), and the output layer as one.

Eval mode only (dropout is the identity). Logits equal :meth:`Decoder.step` to float rounding.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import Tensor

from seqlab.nn.attention import BahdanauAttention
from seqlab.nn.step_inference import (
    StepInference,
    parameter_slots,
    parameters_key,
    slot_values,
    transposed,
)


class _Rnn:
    """``rnn.step(x, state)`` as a wiring calls it, with the step's tokens already known."""

    def __init__(self, stepper: StepInference):
        self.stepper = stepper
        self.tokens: Tensor | None = None

    def step(self, x: Tensor, state):
        """x (B, I - E): what follows the embedding in the RNN input."""
        return self.stepper.step(x, state, self.tokens)


class DecoderInference:
    """Prepared weights of one :class:`~seqlab.models.decoder.Decoder`, for ``step`` only."""

    def __init__(self, decoder: Any):
        self.slots = parameter_slots(decoder)  # the freshness check skips the module walk
        self.key = parameters_key(slot_values(self.slots))
        self.owner = weakref.ref(decoder)
        self.wiring = decoder.wiring
        self.rnn = _Rnn(StepInference(decoder.rnn, decoder.embedding.weight))
        self.generic_attend = decoder.attend
        with torch.no_grad():
            self.out_t, self.out_b = transposed(decoder.out)  # (H, V), (V,)
            self.query_t = self.v = None
            if isinstance(decoder.attention, BahdanauAttention):
                self.query_t = decoder.attention.query_proj.weight.t().contiguous()  # (Q, A)
                self.v = decoder.attention.v.weight.t().contiguous()  # (A, 1)
            if decoder.combine is not None:
                w_t, self.combine_b = transposed(decoder.combine)  # (H + K, H)
                h = decoder.hidden_size
                self.combine_out, self.combine_ctx = w_t[:h].contiguous(), w_t[h:].contiguous()

    def fresh(self, decoder: Any) -> bool:
        """The weights it was prepared from are the decoder's weights, unchanged."""
        if self.owner() is not decoder:
            return False
        return self.key == parameters_key(slot_values(self.slots))

    def step(self, tokens: Tensor, state) -> tuple[Tensor, Tensor, Any, Tensor | None]:
        """tokens (B,) -> logits (B, V), hidden (B, H), new RNN state, attention (B, S)."""
        self.rnn.tokens = tokens  # the embedding's share comes from its table, by token
        hidden, rnn, attn = self.wiring.step(self, None, state)
        return torch.addmm(self.out_b, hidden, self.out_t), hidden, rnn, attn

    @staticmethod
    def rnn_input(emb: None, extra: Tensor) -> Tensor:
        """What follows the embedding in the RNN input (the embedding is a table row)."""
        return extra

    def attend(self, query: Tensor, state) -> tuple[Tensor, Tensor]:
        """query (B, Q) -> context (B, K), weights (B, S)."""
        if self.query_t is None:
            return self.generic_attend(query, state)
        b, s, a = state.keys.shape
        q = torch.mm(query, self.query_t)  # (B, A)
        energy = torch.tanh(state.keys + q.unsqueeze(1))  # (B, S, A)
        scores = torch.mm(energy.view(b * s, a), self.v).view(b, s)  # (B, S)
        if state.padded:  # a lone sentence has none: no mask to apply
            scores.masked_fill_(~state.mask, float("-inf"))
        weights = torch.softmax(scores, -1)  # (B, S)
        context = torch.bmm(weights.unsqueeze(1), state.memory).squeeze(1)  # (B, K)
        return context, weights

    def combined(self, out: Tensor, context: Tensor) -> Tensor:
        """tanh(W_c [s; c] + b) as two products: out (B, H), context (B, K) -> (B, H)."""
        pre = torch.addmm(self.combine_b, out, self.combine_out)
        pre = torch.addmm(pre, context, self.combine_ctx)
        return torch.tanh(pre)
