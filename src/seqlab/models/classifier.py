"""A many-to-one recurrent classifier: read a whole sequence, emit one label.

    tokens (B, T) --embed--> (B, T, E) --Recurrent--> (B, T, D*H) --summary--> (B, D*H)
                                                                  --linear-->  (B, C)

The summary of the sequence is chosen by ``pooling``:

    last   the final hidden state of the top layer; bidirectional: [forward h at the last
           valid token ; backward h at the first token], so padding is never read
    mean   the average of the outputs over valid positions only
    max    the element-wise maximum over valid positions only (pads are set to -inf first)

At inference a sequence longer than ``chunk_steps`` is read in chunks (:mod:`seqlab.nn.chunked`)
and pooled as it streams, so a very long text never holds every step's outputs at once.

The model returns logits; the task owns the loss.
"""

from __future__ import annotations

from torch import Tensor, nn

from seqlab.nn.chunked import (
    CHUNK_STEPS,
    RunningMax,
    RunningMean,
    chunked_run,
    chunking_applies,
)
from seqlab.nn.masks import key_padding_mask
from seqlab.nn.recurrent import State, hidden_of
from seqlab.nn.stack import EmbeddingChoice, RecurrentShape, embed_and_recur

POOLINGS = ("last", "mean", "max")
STREAMING_POOLS = {"mean": RunningMean, "max": RunningMax}  # "last" reads the final state only


def final_hidden(state: Tensor | tuple[Tensor, Tensor], num_layers: int, directions: int) -> Tensor:
    """The top layer's final h of every direction, concatenated: (B, D*H)."""
    h = hidden_of(state)  # (L*D, B, H)
    top = h.view(num_layers, directions, *h.shape[1:])[-1]  # (D, B, H)
    return top.permute(1, 0, 2).reshape(top.shape[1], -1)  # (B, D*H): the directions side by side


def pool(outputs: Tensor, lengths: Tensor, pooling: str) -> Tensor:
    """outputs (B, T, F), lengths (B,) -> (B, F), reading valid positions only."""
    mask = key_padding_mask(lengths.to(outputs.device), outputs.shape[1]).unsqueeze(-1)  # (B, T, 1)
    if pooling == "mean":
        total = outputs.masked_fill(~mask, 0.0).sum(1)  # (B, F)
        return total / mask.sum(1).clamp(min=1).to(outputs.dtype)
    if pooling == "max":
        return outputs.masked_fill(~mask, float("-inf")).amax(1)  # (B, F)
    raise ValueError(f"unknown pooling {pooling!r}; expected one of {', '.join(POOLINGS)}")


class SequenceClassifier(nn.Module):
    """Embedding -> (bi)directional RNN/LSTM/GRU -> pooled summary -> linear over classes."""

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        rnn: RecurrentShape,
        *,
        embedding: EmbeddingChoice = EmbeddingChoice(),
        pooling: str = "last",
    ):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; expected one of {', '.join(POOLINGS)}")
        self.embedding, self.rnn = embed_and_recur(vocab_size, rnn, embedding=embedding)
        self.dropout = nn.Dropout(rnn.dropout)
        self.pooling = pooling
        self.output = nn.Linear(self.rnn.output_size, num_classes)
        self.num_classes = num_classes
        self.chunk_steps = CHUNK_STEPS  # a plain attribute: 0 never chunks

    def encode(self, tokens: Tensor, lengths: Tensor) -> tuple[Tensor, State]:
        """tokens (B, T), lengths (B,) -> outputs (B, T, D*H) (padded positions 0), final state."""
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        return self.rnn(x, lengths)

    def summarize(self, outputs: Tensor, state: State, lengths: Tensor) -> Tensor:
        """One vector per sequence (B, D*H) from the outputs or the final state."""
        if self.pooling == "last":
            return final_hidden(state, self.rnn.num_layers, self.rnn.num_directions)
        return pool(outputs, lengths, self.pooling)

    def summary(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """tokens (B, T), lengths (B,) -> one vector per sequence (B, D*H)."""
        if chunking_applies(self.rnn, tokens, self.chunk_steps):
            return self._chunked_summary(tokens, lengths)
        return self.summarize(*self.encode(tokens, lengths), lengths)

    def _chunked_summary(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """summary() read in chunks, each embedded as it is read and pooled as the outputs
        stream, so no (B, T, ...) tensor but the ids is made: (B, D*H)."""

        def read(rows: Tensor, steps: slice) -> Tensor:
            return self.dropout(self.embedding(tokens[rows, steps]))  # (R, t, E)

        pool_type = STREAMING_POOLS.get(self.pooling)
        shape = (tokens.shape[0], self.rnn.output_size)
        top = pool_type(shape, self.output.weight.dtype) if pool_type is not None else None
        state = chunked_run(self.rnn, read, lengths, self.chunk_steps, top=top)
        if top is None:
            return final_hidden(state, self.rnn.num_layers, self.rnn.num_directions)
        return top.result(lengths)

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """tokens (B, T), lengths (B,) -> logits (B, C)."""
        return self.output(self.dropout(self.summary(tokens, lengths)))
