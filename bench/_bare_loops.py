"""Plain-PyTorch references for the batch-1 steps of ``bench.inference_speed``.

Each is the same products and gate equations as seqlab's prepared step (a table row for the
embedding's share of the first gates, pre-transposed weights, one ``addmm`` per product), written
as one bare loop from the model's own weights: no model object, no decoding loop, no state
object, no strategy, no text. So, in one run:

- a bare loop's time over the weight-streaming bound is what the kernels of a step cost beyond
  reading the weights (the small ones: gates, attention, softmax, the choice);
- seqlab's time over the bare loop's is what its structure costs (the model, the wiring, the
  decoding loop and its strategies, the text).

:func:`ort_step_ms` is the same kind of reference for an ONNX export: ONNX Runtime's own run of
the step graph, with nothing of seqlab between runs.

The bare loops read W_hh as one product; seqlab's one-layer LSTM reads a W_hh larger than the L2
cache as gate blocks in alternating order, so it can beat its bare loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from seqlab.data.parallel import pad, with_eos
from seqlab.data.vocab import SOS_ID


def mean_over(measure: Callable, model, sentences: list[list[int]]) -> float | None:
    """The mean of ``measure(model, sentence)`` over ``sentences``; None where the reference
    does not apply to ``model`` (``measure`` gives None)."""
    values = [measure(model, sentence) for sentence in sentences]
    return None if None in values else sum(values) / len(values)


def _best_us(run, per: int, repeats: int = 5) -> float:
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / per * 1e6


def _lstm_weights(rnn, embedding: Tensor) -> tuple[Tensor, Tensor | None, Tensor]:
    """(table (V, 4H) = embedding's share of the gates + both biases, W_ih^T of what follows
    the embedding (I - E, 4H) or None, W_hh^T (H, 4H)) of a one-layer LSTM."""
    w_ih, w_hh, b_ih, b_hh = (t.detach() for t in rnn.weights(0))
    e = embedding.shape[1]
    table = torch.addmm(b_ih + b_hh, embedding.detach(), w_ih[:, :e].t())
    rest = w_ih[:, e:].t().contiguous() if w_ih.shape[1] > e else None
    return table, rest, w_hh.t().contiguous()


def _one_layer_lstm(rnn) -> bool:
    return rnn.mode == "lstm" and rnn.num_layers == 1 and not rnn.bidirectional


@torch.inference_mode()
def lm_us_per_char(model, length: int = 512) -> float | None:
    """Microseconds per character of a bare sampling loop (temperature 1, the exponential race
    over noise drawn beforehand) for a one-layer LSTM language model with a full softmax; None
    for any other model."""
    if not _one_layer_lstm(model.rnn) or model.adaptive or model.proj is not None:
        return None
    table, _, w_hh_t = _lstm_weights(model.rnn, model.embedding.weight)
    out_t = model.output.weight.detach().t().contiguous()  # (H, V)
    out_b = model.output.bias.detach()
    n = w_hh_t.shape[0]
    noise = torch.empty(length, out_t.shape[1]).exponential_(
        generator=torch.Generator().manual_seed(0)
    )

    def run() -> None:
        h, c, tok = torch.zeros(1, n), torch.zeros(1, n), torch.tensor([0])
        for t in range(length):
            gates = torch.addmm(table.index_select(0, tok), h, w_hh_t)  # (1, 4H)
            i, f, _, o = torch.sigmoid(gates).chunk(4, 1)
            c = torch.addcmul(f * c, i, torch.tanh(gates[:, 2 * n : 3 * n]))
            h = o * torch.tanh(c)
            tok = torch.addmm(out_b, h, out_t).softmax(-1).div_(noise[t]).argmax(-1)
            tok.item()

    return _best_us(run, length)


@torch.inference_mode()
def decoder_step_ms(model, sentence: list[int], steps: int = 100) -> float | None:
    """Milliseconds per bare greedy step of a Bahdanau decoder with a one-layer LSTM, on the
    encoding of ``sentence`` (the encoder is seqlab's, outside the timing); None for any other
    decoder."""
    run = decoder_loop(model, sentence, steps)
    return None if run is None else _best_us(run, steps) / 1e3


def decoder_loop(model, sentence: list[int], steps: int) -> Callable[[], list[int]] | None:
    """The bare greedy loop (``steps`` steps, no stop at <eos>) as a function returning its
    tokens; None unless the decoder is Bahdanau over a one-layer LSTM. Call it with autograd
    off."""
    dec = model.decoder
    if type(dec.attention).__name__ != "BahdanauAttention" or not _one_layer_lstm(dec.rnn):
        return None
    src, lengths = pad([with_eos(sentence)])
    start = model.start(src, lengths)
    table, w_ctx, w_hh_t = _lstm_weights(dec.rnn, dec.embedding.weight)
    att = dec.attention
    q_t = att.query_proj.weight.detach().t().contiguous()  # (H, A)
    v = att.v.weight.detach().t().contiguous()  # (A, 1)
    n = w_hh_t.shape[0]
    combine = dec.combine.weight.detach().t()  # (H + K, H)
    comb_h, comb_c = combine[:n].contiguous(), combine[n:].contiguous()
    comb_b = dec.combine.bias.detach()
    out_t, out_b = dec.out.weight.detach().t().contiguous(), dec.out.bias.detach()
    keys, memory = start.keys[0], start.memory  # (S, A), (1, S, K)

    def run() -> list[int]:
        h, c = start.rnn[0][0], start.rnn[1][0]  # (1, H) each
        tok, out = torch.tensor([SOS_ID]), []
        for _ in range(steps):
            energy = torch.tanh(keys + torch.mm(h, q_t))  # (S, A)
            weights = torch.softmax(torch.mm(energy, v).view(1, -1), -1)  # (1, S)
            context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)  # (1, K)
            gates = torch.addmm(table.index_select(0, tok), context, w_ctx)
            gates = torch.addmm(gates, h, w_hh_t)  # (1, 4H)
            i, f, _, o = torch.sigmoid(gates).chunk(4, 1)
            c = torch.addcmul(f * c, i, torch.tanh(gates[:, 2 * n : 3 * n]))
            h = o * torch.tanh(c)
            hidden = torch.tanh(torch.addmm(torch.addmm(comb_b, h, comb_h), context, comb_c))
            tok = torch.addmm(out_b, hidden, out_t).argmax(-1)
            out.append(tok)
        return torch.cat(out).tolist()

    return run


def ort_step_ms(model, sentence: list[int], steps: int = 100) -> float | None:
    """Milliseconds per step of ONNX Runtime's own ``run`` of an exported decoder's step graph,
    its state chained from step to step and the token fixed (no seqlab code between runs); None
    for a model that is not an ONNX seq2seq."""
    session = getattr(getattr(model, "decoder", None), "session", None)
    if session is None or not hasattr(model, "start"):
        return None
    src, lengths = pad([with_eos(sentence)])
    state = model.start(src, lengths)
    inputs = model.decoder.inputs
    feeds = {"tokens": np.array([SOS_ID]), "h": state.h, "memory": state.memory}
    feeds.update(mask=state.mask, c=state.c, feed=state.feed, keys=state.keys)
    feeds = {name: feeds[name] for name in inputs}
    outputs = model.decoder.outputs
    chained = [(f"{name}_out", name) for name in ("h", "c", "feed") if f"{name}_out" in outputs]

    def run() -> None:
        now = dict(feeds)
        for _ in range(steps):
            out = dict(zip(outputs, session.run(None, now), strict=True))
            for produced, consumed in chained:
                now[consumed] = out[produced]

    return _best_us(run, steps) / 1e3
