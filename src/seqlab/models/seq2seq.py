"""An RNN encoder-decoder (Sutskever et al. 2014; with attention, Bahdanau 2015 / Luong 2015).

    src (B, S) --Encoder--> memory (B, S, D*H), final state --Bridge--> s_0
    <sos> y_1 .. y_{T-1} --Decoder (attending to memory)--> logits (B, T, V)

The model only scores. Training calls ``forward`` with the reference target (teacher forcing,
optionally mixed with the model's own predictions: scheduled sampling); decoding calls
``encode`` once and then ``step`` token by token through any strategy in :mod:`seqlab.decode`.
"""

from __future__ import annotations

from torch import Tensor, nn

from seqlab.data.vocab import PAD_ID
from seqlab.models.decoder import Decoder, DecoderState
from seqlab.models.encoder import Bridge, Encoder
from seqlab.nn.stack import RecurrentShape


class Seq2Seq(nn.Module):
    log_probs = False  # decoding (seqlab.decode.search.Decodable): step returns logits

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        rnn: RecurrentShape,
        *,
        attention: str = "bahdanau",
        score: str = "general",
        attention_size: int = 0,
        input_feed: bool = False,
        bridge: str = "linear",
    ):
        """``rnn`` is the encoder's shape (``bidirectional`` is its own); the decoder has the
        same cell, sizes and layers, and reads one way."""
        super().__init__()
        self.encoder = Encoder(src_vocab_size, rnn)
        self.bridge = Bridge(
            rnn.cell,
            encoder_layers=rnn.num_layers,
            num_directions=2 if rnn.bidirectional else 1,
            encoder_hidden=rnn.hidden_size,
            decoder_layers=rnn.num_layers,
            decoder_hidden=rnn.hidden_size,
            kind=bridge,
        )
        self.decoder = Decoder(
            tgt_vocab_size,
            self.encoder.output_size,
            rnn._replace(bidirectional=False),
            attention=attention,
            score=score,
            attention_size=attention_size,
            input_feed=input_feed,
        )
        self.has_attention = attention != "none"

    def start(self, src: Tensor, src_lengths: Tensor) -> DecoderState:
        """src (B, S), src_lengths (B,) -> the decoder state before the first step: memory
        (B, S, D*H), its padding mask (B, S), the bridged initial RNN state."""
        memory, final = self.encoder(src, src_lengths)  # (B, S, D*H)
        mask = src != PAD_ID  # (B, S)
        return self.decoder.initial_state(memory, mask, self.bridge(final))

    encode = start  # the encoder half of the model, by its usual name

    def step(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState]:
        """One decoding step: tokens (B,) -> logits (B, V), new state (``state.attn`` holds
        this step's attention weights (B, S), None without attention)."""
        return self.decoder.step(tokens, state)

    def decoding_step(self):
        """The decoder's step for one decoding call (:meth:`Decoder.decoding_step`)."""
        return self.decoder.decoding_step()

    @staticmethod
    def select(state: DecoderState, index: Tensor) -> DecoderState:
        """Reorder or expand the batch of a decoding state: rows ``index`` (N,)."""
        return state.select(index)

    def forward(
        self,
        src: Tensor,
        src_lengths: Tensor,
        tgt_in: Tensor,
        *,
        teacher_forcing: float = 1.0,
        keep: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """src (B, S), src_lengths (B,), tgt_in (B, T) = <sos> y_1 .. y_{T-1}
        -> logits (B, T, V), attention weights (B, T, S) (None without attention).

        ``keep`` (B, T) bool: return logits (N, V) for only the N positions where it is True,
        in row-major order; training passes the non-padding targets, so the output layer and
        the softmax never run on padding. ``teacher_forcing`` < 1 mixes in the model's own
        predictions (scheduled sampling; see :meth:`Decoder.forward`).
        """
        state = self.start(src, src_lengths)
        return self.decoder(tgt_in, state, teacher_forcing, keep)
