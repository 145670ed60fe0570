"""The decoder of a seq2seq model: one target token per step, looking at the encoder memory.

Three wirings, chosen once by ``attention`` (:mod:`seqlab.models.wiring`)::

    none      s_t = RNN(emb(y_{t-1}), s_{t-1})                 the fixed context vector: the
              logits = W_o s_t                                  source reaches the decoder only
                                                                through s_0 (the bridge)
    bahdanau  c_t, a_t = attend(s_{t-1}, memory)                attention *before* the RNN;
              s_t = RNN([emb(y_{t-1}); c_t], s_{t-1})           the context is an RNN input
              logits = W_o tanh(W_c [s_t; c_t])
    luong     s_t = RNN([emb(y_{t-1}); h~_{t-1}], s_{t-1})      attention *after* the RNN;
              c_t, a_t = attend(s_t, memory)                    h~_{t-1} only with input
              h~_t = tanh(W_c [s_t; c_t]);  logits = W_o h~_t   feeding

Everything a step needs lives in :class:`DecoderState`, so greedy, sampling and beam search
drive any wiring through ``step(tokens, state) -> (logits, state)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from seqlab.data.vocab import PAD_ID
from seqlab.models.decoder_inference import DecoderInference
from seqlab.models.wiring import wiring_for
from seqlab.nn.attention import build_attention
from seqlab.nn.recurrent import State, map_state
from seqlab.nn.stack import RecurrentShape, embed_and_recur
from seqlab.nn.step_inference import checked, mark_checked


@dataclass
class DecoderState:
    """rnn: (L, B, H) or (h, c); memory (B, S, K); keys (B, S, A); mask (B, S) bool;
    feed (B, H) the input-feeding vector h~_{t-1} or None; attn (B, S) last weights or None;
    padded: False when no row of ``mask`` has padding (then the prepared step skips masking),
    worked out once per batch; True when unknown."""

    rnn: State | None
    memory: Tensor
    keys: Tensor | None
    mask: Tensor
    feed: Tensor | None = None
    attn: Tensor | None = None
    padded: bool = True

    def select(self, index: Tensor) -> DecoderState:
        """Rows ``index`` (N,) of the batch, e.g. to reorder or expand beams."""

        def rows(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.index_select(0, index)

        return DecoderState(
            rnn=map_state(self.rnn, lambda t: t.index_select(1, index)),
            memory=rows(self.memory),
            keys=rows(self.keys),
            mask=rows(self.mask),
            feed=rows(self.feed),
            attn=rows(self.attn),
            padded=self.padded,  # rows of an unpadded batch have no padding either
        )


def _prepared_step(
    fast: DecoderInference, input_feed: bool, tokens: Tensor, state: DecoderState
) -> tuple[Tensor, DecoderState]:
    """A step of the prepared decoder: tokens (B,) -> logits (B, V), new state."""
    logits, hidden, rnn, attn = fast.step(tokens, state)
    feed = hidden if input_feed else None
    # built directly: dataclasses.replace costs more than the rest of a prepared step's calls
    return logits, DecoderState(rnn, state.memory, state.keys, state.mask, feed, attn, state.padded)


class Decoder(nn.Module):
    fast = True  # False: every step through the modules (the reference the fast step equals)

    def __init__(
        self,
        vocab_size: int,
        memory_size: int,
        rnn: RecurrentShape,
        *,
        attention: str = "bahdanau",
        score: str = "general",
        attention_size: int = 0,
        input_feed: bool = False,
    ):
        super().__init__()
        self.input_feed = input_feed and attention == "luong"
        self.wiring = wiring_for(attention, self.input_feed)
        hidden_size = self.hidden_size = rnn.hidden_size
        extra = {"none": 0, "bahdanau": memory_size, "luong": hidden_size if self.input_feed else 0}
        self.embedding, self.rnn = embed_and_recur(
            vocab_size, rnn, extra_input=extra[attention], padding_idx=PAD_ID
        )
        self.dropout = nn.Dropout(rnn.dropout)
        self.attention = build_attention(
            attention, hidden_size, memory_size, attention_size or hidden_size, score=score
        )
        self.combine = (
            nn.Linear(hidden_size + memory_size, hidden_size) if attention != "none" else None
        )
        self.out = nn.Linear(hidden_size, vocab_size)

    def initial_state(self, memory: Tensor, mask: Tensor, rnn: State | None) -> DecoderState:
        """memory (B, S, K), mask (B, S), bridged state -> the state before the first step."""
        keys = self.attention.keys(memory) if self.attention is not None else None
        if rnn is None:
            rnn = self.rnn.initial_state(memory.shape[0], memory.device, memory.dtype)
        feed = memory.new_zeros(memory.shape[0], self.hidden_size) if self.input_feed else None
        return DecoderState(rnn, memory, keys, mask, feed, padded=not bool(mask.all()))

    def attend(self, query: Tensor, state: DecoderState) -> tuple[Tensor, Tensor]:
        """query (B, Q) or (B, T, Q) -> context (B[, T], K), weights (B[, T], S)."""
        return self.attention(query, state.keys, state.memory, state.mask)

    @staticmethod
    def rnn_input(emb: Tensor, extra: Tensor) -> Tensor:
        """The RNN's input [emb; extra] (B, E + K): the embedding, then the context or feed."""
        return torch.cat([emb, extra], -1)

    def combined(self, out: Tensor, context: Tensor) -> Tensor:
        """tanh(W_c [s; c]): the RNN output and its context as one vector (..., H)."""
        return torch.tanh(self.combine(torch.cat([out, context], -1)))

    def step(self, tokens: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState]:
        """tokens (B,) -> logits (B, V), new state."""
        fast = self.inference()
        if fast is not None:
            return _prepared_step(fast, self.input_feed, tokens, state)
        emb = self.dropout(self.embedding(tokens))  # (B, E)
        hidden, rnn, attn = self.wiring.step(self, emb, state)  # (B, H)
        feed = hidden if self.input_feed else None
        new = DecoderState(rnn, state.memory, state.keys, state.mask, feed, attn, state.padded)
        return self.project(hidden), new

    def decoding_step(self):
        """:meth:`step` for the rest of one decoding call (weights fixed): the prepared step
        bound once, without the checks and attribute lookups :meth:`step` makes each time."""
        fast = self.inference()
        if fast is None:
            return self.step
        return functools.partial(_prepared_step, fast, self.input_feed)

    def inference(self) -> DecoderInference | None:
        """The prepared-weights step (:mod:`seqlab.models.decoder_inference`) when it applies:
        ``fast`` is on, eval mode, not tracing, no autograd or autocast, a plain embedding."""
        cached = self.__dict__.get("_inference")
        if checked(cached):
            return cached
        if (
            not self.fast
            or self.training
            or torch.jit.is_tracing()  # an exported graph stays the plain one
            or torch.is_grad_enabled()
            or torch.is_autocast_enabled(self.out.weight.device.type)
            or not isinstance(self.embedding, nn.Embedding)
        ):
            return None
        if cached is None or not cached.fresh(self):
            cached = DecoderInference(self)
            self.__dict__["_inference"] = cached  # not a submodule: never saved or moved
        mark_checked(cached)
        return cached

    def forward_teacher(self, tgt_in: Tensor, state: DecoderState) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing: tgt_in (B, T) -> pre-output hidden (B, T, H), attn (B, T, S) or None.

        Only the recurrence runs step by step (see :mod:`seqlab.models.wiring`); ``project``
        turns the hidden states into logits, so a caller can score only the positions it
        needs. Equal to a loop over :meth:`step`.
        """
        emb = self.dropout(self.embedding(tgt_in))  # (B, T, E)
        return self.wiring.teacher(self, emb, state)

    def forward(
        self,
        tgt_in: Tensor,
        state: DecoderState,
        teacher_forcing: float = 1.0,
        keep: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Training: tgt_in (B, T) = <sos> y_1 .. y_{T-1} -> logits (B, T, V) (or (N, V) for
        the N positions where ``keep`` (B, T) is True), attention (B, T, S) or None.

        ``teacher_forcing`` is the probability of feeding the reference token at each step after
        the first; otherwise the model's own previous prediction (argmax) is fed, drawn from
        torch's global RNG (scheduled sampling). At 1, :meth:`forward_teacher` runs only the
        recurrence step by step; below 1 every step runs through :meth:`step`.
        """
        if teacher_forcing >= 1.0:
            hidden, attn = self.forward_teacher(tgt_in, state)  # (B, T, H)
            return self.project(hidden if keep is None else hidden[keep]), attn
        logits, attns = [], []
        tokens = tgt_in[:, 0]  # (B,)
        for t in range(tgt_in.shape[1]):
            if t > 0:
                own = logits[-1].detach().argmax(-1)  # (B,)
                use_ref = torch.rand(tokens.shape, device=tokens.device) < teacher_forcing
                tokens = torch.where(use_ref, tgt_in[:, t], own)
            step_logits, state = self.step(tokens, state)  # (B, V)
            logits.append(step_logits)
            attns.append(state.attn)
        attn = torch.stack(attns, 1) if self.attention is not None else None  # (B, T, S)
        out = torch.stack(logits, 1)  # (B, T, V)
        return (out if keep is None else out[keep]), attn

    def project(self, hidden: Tensor) -> Tensor:
        """hidden (..., H) -> logits (..., V): dropout, then the output layer."""
        return self.out(self.dropout(hidden))
