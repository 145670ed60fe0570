"""An RNN encoder-decoder (Sutskever et al. 2014; with attention, Bahdanau 2015 / Luong 2015).

    src (B, S) --Encoder--> memory (B, S, D*H), final state --Bridge--> s_0
    <sos> y_1 .. y_{T-1} --Decoder (attending to memory)--> logits (B, T, V)

The model only scores. Training calls ``forward`` with the reference target (teacher forcing,
optionally mixed with the model's own predictions: scheduled sampling); decoding calls
``encode`` once and then ``step`` token by token through any strategy in :mod:`seqlab.decode`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.data.vocab import PAD_ID
from seqlab.models.decoder import Decoder, DecoderState
from seqlab.models.encoder import Bridge, Encoder


class Seq2Seq(nn.Module):
    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embedding_dim: int = 128,
        hidden_size: int = 256,
        num_layers: int = 1,
        cell: str = "gru",
        bidirectional: bool = True,
        attention: str = "bahdanau",
        score: str = "general",
        attention_size: int = 0,
        input_feed: bool = False,
        bridge: str = "linear",
        dropout: float = 0.1,
        impl: str = "fused",
    ):
        super().__init__()
        self.encoder = Encoder(
            src_vocab_size,
            embedding_dim,
            hidden_size,
            num_layers,
            cell,
            bidirectional,
            dropout,
            impl,
        )
        directions = 2 if bidirectional else 1
        self.bridge = Bridge(
            cell, num_layers, directions, hidden_size, num_layers, hidden_size, bridge
        )
        self.decoder = Decoder(
            tgt_vocab_size,
            embedding_dim,
            hidden_size,
            self.encoder.output_size,
            num_layers,
            cell,
            attention,
            score,
            attention_size,
            input_feed,
            dropout,
            impl,
        )
        self.has_attention = attention != "none"

    def encode(self, src: Tensor, src_lengths: Tensor) -> DecoderState:
        """src (B, S), src_lengths (B,) -> the decoder state before the first step: memory
        (B, S, D*H), its padding mask (B, S), the bridged initial RNN state."""
        memory, final = self.encoder(src, src_lengths)  # (B, S, D*H)
        mask = src != PAD_ID  # (B, S)
        return self.decoder.initial_state(memory, mask, self.bridge(final))

    def step(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState]:
        """One decoding step: tokens (B,) -> logits (B, V), new state (``state.attn`` holds
        this step's attention weights (B, S), None without attention)."""
        return self.decoder.step(tokens, state)

    @staticmethod
    def select(state: DecoderState, index: Tensor) -> DecoderState:
        """Reorder or expand the batch of a decoding state: rows ``index`` (N,)."""
        return state.select(index)

    def forward(
        self,
        src: Tensor,
        src_lengths: Tensor,
        tgt_in: Tensor,
        teacher_forcing: float = 1.0,
        keep: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """src (B, S), src_lengths (B,), tgt_in (B, T) = <sos> y_1 .. y_{T-1}
        -> logits (B, T, V), attention weights (B, T, S) (None without attention).

        ``keep`` (B, T) bool: return logits (N, V) for only the N positions where it is True,
        in row-major order; training passes the non-padding targets, so the output layer and
        the softmax never run on padding.

        ``teacher_forcing`` < 1: at each step after the first, each sentence is fed the
        reference token with this probability and otherwise the model's own previous
        prediction (argmax), drawn from torch's global RNG (scheduled sampling).
        """
        state = self.encode(src, src_lengths)
        if teacher_forcing >= 1.0:
            hidden, attn = self.decoder.forward_teacher(tgt_in, state)  # (B, T, H)
            if keep is not None:
                hidden = hidden[keep]  # (N, H)
            return self.decoder.project(hidden), attn
        logits, attns = [], []
        tokens = tgt_in[:, 0]  # (B,)
        for t in range(tgt_in.shape[1]):
            if t > 0:
                own = logits[-1].detach().argmax(-1)  # (B,)
                use_ref = torch.rand(tokens.shape, device=tokens.device) < teacher_forcing
                tokens = torch.where(use_ref, tgt_in[:, t], own)
            step_logits, state = self.decoder.step(tokens, state)  # (B, V)
            logits.append(step_logits)
            attns.append(state.attn)
        attn = torch.stack(attns, 1) if self.has_attention else None  # (B, T, S)
        out = torch.stack(logits, 1)  # (B, T, V)
        return (out if keep is None else out[keep]), attn
