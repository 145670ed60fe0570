"""The encoder of a seq2seq model, and the bridge from its final state to the decoder's.

    src (B, S) --embed--> (B, S, E) --Recurrent (packed, uni/bi)--> memory (B, S, D*H)
                                                                   final state (L*D, B, H)

The bridge turns the encoder's final state into the decoder's initial state. For a
bidirectional encoder each layer's forward and backward final states are concatenated first
(the forward direction has read the whole sentence left to right, the backward one right to
left), then a linear layer + tanh maps ``D*H_enc`` to ``H_dec``::

    h (L*D, B, H_enc) -> (L, B, D*H_enc) -> tanh(W h + b) -> (L, B, H_dec)

An LSTM's cell state c gets its own linear layer (no tanh: c is not bounded). With more encoder
than decoder layers the top encoder layers are used; with fewer, the top layer is repeated.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.data.vocab import PAD_ID
from seqlab.nn.recurrent import State
from seqlab.nn.stack import RecurrentShape, embed_and_recur

BRIDGES = ("linear", "zeros")


class Encoder(nn.Module):
    def __init__(self, vocab_size: int, rnn: RecurrentShape):
        super().__init__()
        self.embedding, self.rnn = embed_and_recur(vocab_size, rnn, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(rnn.dropout)

    @property
    def output_size(self) -> int:
        return self.rnn.output_size

    def forward(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, State]:
        """src (B, S), lengths (B,) -> memory (B, S, D*H) (0 at padding), final state."""
        x = self.dropout(self.embedding(src))  # (B, S, E)
        memory, state = self.rnn(x, lengths)  # (B, S, D*H); (L*D, B, H) or (h, c)
        return self.dropout(memory), state


class Bridge(nn.Module):
    """Encoder final state (L_e*D, B, H_e) -> decoder initial state (L_d, B, H_d), or None."""

    def __init__(
        self,
        cell: str,
        *,
        encoder_layers: int,
        num_directions: int,
        encoder_hidden: int,
        decoder_layers: int,
        decoder_hidden: int,
        kind: str = "linear",
    ):
        super().__init__()
        if kind not in BRIDGES:
            raise ValueError(f"unknown bridge {kind!r}; expected one of {', '.join(BRIDGES)}")
        self.kind = kind
        self.encoder_layers = encoder_layers
        self.num_directions = num_directions
        self.decoder_layers = decoder_layers
        parts = 2 if cell == "lstm" else 1
        size = num_directions * encoder_hidden
        self.linears = nn.ModuleList(
            [nn.Linear(size, decoder_hidden) for _ in range(parts)] if kind == "linear" else []
        )

    def _layers(self, h: Tensor) -> Tensor:
        """(L_e*D, B, H) -> (L_d, B, D*H): directions side by side, layers chosen."""
        L, D = self.encoder_layers, self.num_directions
        batch, hidden = h.shape[1], h.shape[2]
        h = h.view(L, D, batch, hidden).permute(0, 2, 1, 3).reshape(L, batch, D * hidden)
        if L >= self.decoder_layers:
            return h[L - self.decoder_layers :]
        return torch.cat([h, h[-1:].expand(self.decoder_layers - L, -1, -1)], dim=0)

    def forward(self, state: State) -> State | None:
        if self.kind == "zeros":
            return None
        if isinstance(state, Tensor):
            return torch.tanh(self.linears[0](self._layers(state)))  # (L_d, B, H_d)
        h, c = state
        h = torch.tanh(self.linears[0](self._layers(h)))  # (L_d, B, H_d)
        c = self.linears[1](self._layers(c))  # (L_d, B, H_d)
        return h, c
