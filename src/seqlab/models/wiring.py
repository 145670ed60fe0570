"""How attention joins a decoder's recurrence: one small object per wiring, chosen once.

    FixedContext     none      s_t = RNN(emb(y_{t-1}), s_{t-1});  hidden = s_t
    AttendBefore     bahdanau  c_t = attend(s_{t-1});  s_t = RNN([emb; c_t], s_{t-1});
                               hidden = tanh(W_c [s_t; c_t])
    AttendAfter      luong     s_t = RNN(emb, s_{t-1});  c_t = attend(s_t);
                               hidden = h~_t = tanh(W_c [s_t; c_t])
    AttendAfterFed   luong + input feeding: the RNN also reads h~_{t-1}

Each wiring gives one step (``step``) and the whole teacher-forced sequence (``teacher``), which
runs only what must run step by step: with no step reading the previous attention, the RNN runs
over all T steps in one call; otherwise the embeddings' share of the RNN's input product still
runs once for all T (:mod:`seqlab.nn.preset_input`). The decoder
(:mod:`seqlab.models.decoder`) owns the parameters; a wiring only says how they are combined.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch import Tensor

from seqlab.nn.preset_input import PresetInput
from seqlab.nn.recurrent import Recurrent, State, hidden_of

DecoderState = Any  # seqlab.models.decoder.DecoderState: rnn, memory, keys, mask, feed


class Decoder(Protocol):
    """What a wiring uses of the decoder that owns the parameters."""

    rnn: Recurrent

    def attend(self, query: Tensor, state: DecoderState) -> tuple[Tensor, Tensor]: ...

    def rnn_input(self, emb: Tensor, extra: Tensor) -> Tensor: ...

    def combined(self, out: Tensor, context: Tensor) -> Tensor: ...


class FixedContext:
    """No attention: the source reaches the decoder only through its initial state."""

    def step(self, dec: Decoder, emb: Tensor, state: DecoderState):
        """emb (B, E) -> hidden (B, H), new RNN state, attention (B, S) or None."""
        out, rnn = dec.rnn.step(emb, state.rnn)  # (B, H)
        return out, rnn, None

    def teacher(self, dec: Decoder, emb: Tensor, state: DecoderState):
        """emb (B, T, E) -> hidden (B, T, H), attention (B, T, S) or None."""
        out, _ = dec.rnn(emb, state=state.rnn)  # (B, T, H)
        return out, None


class AttendBefore:
    """Bahdanau: attend with the previous state, feed the context to the RNN."""

    def step(self, dec: Decoder, emb: Tensor, state: DecoderState):
        context, attn = dec.attend(hidden_of(state.rnn)[-1], state)  # (B, K), (B, S)
        out, rnn = dec.rnn.step(dec.rnn_input(emb, context), state.rnn)  # (B, H)
        return dec.combined(out, context), rnn, attn

    def teacher(self, dec: Decoder, emb: Tensor, state: DecoderState):
        rnn: State = state.rnn
        outs, contexts, attns = [], [], []
        preset = PresetInput(dec.rnn, emb)  # the embeddings' input product, for all T at once
        for t in range(len(preset)):
            context, attn = dec.attend(hidden_of(rnn)[-1], state)  # (B, K), (B, S)
            out, rnn = preset.step(t, context, rnn)  # (B, H): RNN([emb_t; c_t])
            outs.append(out)
            contexts.append(context)
            attns.append(attn)
        # the combine layer feeds nothing back: once, over all steps
        hidden = dec.combined(torch.stack(outs, 1), torch.stack(contexts, 1))  # (B, T, H)
        return hidden, torch.stack(attns, 1)  # (B, T, S)


class AttendAfter:
    """Luong: run the RNN, then attend with its new state."""

    def inputs(self, dec: Decoder, emb: Tensor, state: DecoderState) -> Tensor:
        return emb

    def step(self, dec: Decoder, emb: Tensor, state: DecoderState):
        out, rnn = dec.rnn.step(self.inputs(dec, emb, state), state.rnn)  # (B, H)
        context, attn = dec.attend(out, state)  # (B, K), (B, S)
        return dec.combined(out, context), rnn, attn

    def teacher(self, dec: Decoder, emb: Tensor, state: DecoderState):
        out, _ = dec.rnn(emb, state=state.rnn)  # (B, T, H): no step reads an attention
        context, attn = dec.attend(out, state)  # (B, T, K), (B, T, S)
        return dec.combined(out, context), attn


class AttendAfterFed(AttendAfter):
    """Luong with input feeding: h~_{t-1} is part of the next step's input."""

    def inputs(self, dec: Decoder, emb: Tensor, state: DecoderState) -> Tensor:
        return dec.rnn_input(emb, state.feed)  # (B, E + H)

    def teacher(self, dec: Decoder, emb: Tensor, state: DecoderState):
        rnn, feed = state.rnn, state.feed
        outs, attns = [], []
        preset = PresetInput(dec.rnn, emb)
        for t in range(len(preset)):
            out, rnn = preset.step(t, feed, rnn)  # (B, H): RNN([emb_t; h~_{t-1}])
            context, attn = dec.attend(out, state)
            out = feed = dec.combined(out, context)  # h~_t: the next step's input
            outs.append(out)
            attns.append(attn)
        return torch.stack(outs, 1), torch.stack(attns, 1)  # (B, T, H), (B, T, S)


def wiring_for(attention: str, input_feed: bool):
    """The wiring of an ``attention`` kind (none | bahdanau | luong)."""
    if attention == "none":
        return FixedContext()
    if attention == "bahdanau":
        return AttendBefore()
    return AttendAfterFed() if input_feed else AttendAfter()
