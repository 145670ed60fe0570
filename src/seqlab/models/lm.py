"""A recurrent language model: embedding -> Recurrent -> linear.

    tokens (B, T) --embed--> (B, T, E) --Recurrent--> (B, T, H) --[proj]--> --linear--> (B, T, V)

With ``tie_weights`` the output layer reuses the embedding matrix (Press & Wolf 2017); when the
hidden size differs from the embedding size a projection H -> E is added so the shapes meet.
The model only scores: it returns logits and state, never a loss. ``step`` scores one token at
a time for decoding (greedy, sampling, beam), using the fast single-step path of the cells.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from seqlab.nn.embedding import build_embedding
from seqlab.nn.lstm_inference import LSTMInference
from seqlab.nn.recurrent import Recurrent


class LanguageModel(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 128,
        hidden_size: int = 512,
        num_layers: int = 2,
        cell: str = "lstm",
        dropout: float = 0.2,
        tie_weights: bool = False,
        impl: str = "fused",
        embedding_kind: str = "learned",
        embedding_path: str | None = None,
        embedding_freeze: bool = False,
        itos: list[str] | None = None,
    ):
        super().__init__()
        self.embedding = build_embedding(
            vocab_size,
            embedding_dim,
            kind=embedding_kind,
            path=embedding_path,
            freeze=embedding_freeze,
            itos=itos,
            padding_idx=None,
        )
        input_size = getattr(self.embedding, "embedding_dim", embedding_dim)
        self.dropout = nn.Dropout(dropout)
        inter_layer = dropout if num_layers > 1 else 0.0  # torch warns otherwise
        self.rnn = Recurrent(
            cell, input_size, hidden_size, num_layers, dropout=inter_layer, impl=impl
        )
        out_size = hidden_size
        self.proj = None
        if tie_weights:
            if not isinstance(self.embedding, nn.Embedding):
                raise ValueError("tie_weights needs a learned or pretrained embedding")
            if hidden_size != input_size:
                self.proj = nn.Linear(hidden_size, input_size)
            out_size = input_size
        self.decoder = nn.Linear(out_size, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        self.vocab_size = vocab_size

    def _head(self, h: Tensor) -> Tensor:
        h = self.dropout(h)
        if self.proj is not None:
            h = self.proj(h)
        return self.decoder(h)

    def forward(self, tokens: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """tokens (B, T) -> logits (B, T, V), final state."""
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        out, state = self.rnn(x, state=state)  # (B, T, H)
        return self._head(out), state

    def step(self, tokens: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """One decoding step: tokens (B,) -> logits (B, V), new state."""
        fast = self._inference_stepper()
        if fast is not None:
            out, state = fast.step(tokens, state)
            return self._head(out), state
        x = self.dropout(self.embedding(tokens.unsqueeze(1)))[:, 0]  # (B, E)
        out, state = self.rnn.step(x, state)  # (B, H)
        return self._head(out), state

    def _inference_stepper(self) -> LSTMInference | None:
        """The table-driven LSTM step, when it applies: eval mode, no autograd, no autocast."""
        if (
            self.training
            or torch.is_grad_enabled()
            or torch.is_autocast_enabled("cpu")
            or self.rnn.mode != "lstm"
            or not isinstance(self.embedding, nn.Embedding)
            or self.embedding.weight.device.type != "cpu"
        ):
            return None
        cached = self.__dict__.get("_stepper")
        if cached is None or not cached.fresh(self.rnn, self.embedding.weight):
            cached = LSTMInference(self.rnn, self.embedding.weight)
            self.__dict__["_stepper"] = cached  # not a submodule: never saved or moved
        return cached
