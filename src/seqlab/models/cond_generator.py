"""A conditional generator (one-to-many): one condition vector -> a whole sequence.

    condition: class id (B,) --label embedding-->  c (B, Ec)
               or features (B, F) --linear+tanh--> c (B, Ec)
    h0 = tanh(W c) reshaped to (L, B, H)       (for an LSTM, c0 = 0)

    <sos> y1 y2 ... --embed--> (B, T, E) [; c at every step] --RNN from h0--> (B, T, H)
                                                            --linear--> (B, T, V)

The condition starts the decoder's memory; with ``condition_every_step`` it is also
concatenated to every input, so it cannot fade over long outputs. Generation feeds each chosen
token back (``step``) until ``<eos>``. The model returns logits; the task owns the loss.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from seqlab.nn.recurrent import map_state
from seqlab.nn.stack import EmbeddingChoice, RecurrentShape, embed_and_recur

GenState = tuple[Any, Tensor]
"""(recurrent state in torch's layout, condition vector c (B, Ec))."""


class ConditionalGenerator(nn.Module):
    log_probs = False  # decoding (seqlab.decode.search.Decodable): step returns logits

    def __init__(
        self,
        vocab_size: int,
        rnn: RecurrentShape,
        *,
        num_classes: int = 0,
        feature_size: int = 0,
        embedding: EmbeddingChoice = EmbeddingChoice(),
        condition_dim: int = 32,
        condition_every_step: bool = True,
    ):
        super().__init__()
        if (num_classes > 0) == (feature_size > 0):
            raise ValueError("give exactly one of num_classes (labels) or feature_size (vectors)")
        if num_classes > 0:
            self.condition = nn.Embedding(num_classes, condition_dim)
        else:
            self.condition = nn.Sequential(nn.Linear(feature_size, condition_dim), nn.Tanh())
        extra = condition_dim if condition_every_step else 0
        front = embed_and_recur(vocab_size, rnn, extra_input=extra, embedding=embedding)
        self.embedding = front[0]
        self.init_state = nn.Linear(condition_dim, rnn.num_layers * rnn.hidden_size)
        self.dropout = nn.Dropout(rnn.dropout)
        self.rnn = front[
            1
        ]  # registered in the checkpoint's order: condition, embedding, init_state
        self.output = nn.Linear(rnn.hidden_size, vocab_size)
        self.condition_every_step = condition_every_step
        self.num_classes = num_classes
        self.feature_size = feature_size

    def start(self, condition: Tensor) -> GenState:
        """condition: class ids (B,) or features (B, F) -> the decoder's initial state."""
        c = self.condition(condition)  # (B, Ec)
        h = torch.tanh(self.init_state(c))  # (B, L*H)
        h = h.view(c.shape[0], self.rnn.num_layers, self.rnn.hidden_size).transpose(0, 1)
        h = h.contiguous()  # (L, B, H)
        state = (h, torch.zeros_like(h)) if self.rnn.mode == "lstm" else h
        return state, c

    def _inputs(self, tokens: Tensor, c: Tensor) -> Tensor:
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        if self.condition_every_step:
            x = torch.cat([x, c[:, None].expand(-1, x.shape[1], -1)], dim=-1)  # (B, T, E+Ec)
        return x

    def forward(self, tokens: Tensor, condition: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Teacher forcing: tokens (B, T) starting with <sos> -> logits (B, T, V)."""
        state, c = self.start(condition)
        out, _ = self.rnn(self._inputs(tokens, c), lengths, state)  # (B, T, H)
        return self.output(self.dropout(out))

    def step(self, tokens: Tensor, state: GenState) -> tuple[Tensor, GenState]:
        """One generation step: tokens (B,) -> logits (B, V), new state."""
        rnn_state, c = state
        x = self._inputs(tokens[:, None], c)[:, 0]  # (B, E[+Ec])
        out, rnn_state = self.rnn.step(x, rnn_state)  # (B, H)
        return self.output(self.dropout(out)), (rnn_state, c)

    @staticmethod
    def select(state: GenState, index: Tensor) -> GenState:
        """Rows ``index`` (N,) of a generation state (beam reordering, finished rows leaving)."""
        rnn_state, c = state
        return map_state(rnn_state, lambda t: t.index_select(1, index)), c.index_select(0, index)
