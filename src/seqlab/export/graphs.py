"""What each task exports: small torch modules whose ``forward`` is one graph, with its names.

    seq2seq    encoder   (src, lengths) -> memory, keys, mask, h[, c][, feed]
               step      (tokens, h[, c][, feed], memory[, keys], mask)
                         -> logp, h_out[, c_out][, feed_out][, attn]
    lm         step      (tokens, h[, c]) -> logp, h_out[, c_out]
               forward   (tokens (B, T), h[, c]) -> logp (B, T, V), h_out[, c_out]
               (a Transformer LM: the same two over its key/value cache, see
               :mod:`seqlab.export.transformer_graphs`; a Transformer seq2seq:
               :mod:`seqlab.export.transformer_seq2seq_graphs`)
    condgen    start     (condition) -> h_out[, c_out], cond
               step      (tokens, h[, c], cond) -> logp, h_out[, c_out]
    classify   classifier (tokens, lengths) -> logits
    tag        emissions (tokens, lengths[, chars]) -> emissions; the CRF stays outside

States are explicit inputs and outputs; the batch and length axes are dynamic. The step graphs
return log-probabilities: decoding takes its choices from them as from logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from seqlab.models.decoder import DecoderState
from seqlab.nn.recurrent import hidden_of


@dataclass
class Graph:
    """One graph to export: its file name, module, example inputs and axis names."""

    name: str
    module: nn.Module
    example: tuple[Tensor, ...]
    inputs: list[str]
    outputs: list[str]
    axes: dict[str, dict[int, str]]


def _state_axes(names: list[str]) -> dict[str, dict[int, str]]:
    return {n: {1: "batch"} for n in names}


class _Seq2SeqEncoder(nn.Module):
    def __init__(self, model: nn.Module, lstm: bool, feed: bool):
        super().__init__()
        self.model, self.lstm, self.feed = model, lstm, feed

    def forward(self, src: Tensor, lengths: Tensor):
        state = self.model.start(src, lengths)
        keys = state.keys if state.keys is not None else state.memory
        out = [state.memory, keys, state.mask, hidden_of(state.rnn)]
        out += [state.rnn[1]] if self.lstm else []
        return tuple(out + ([state.feed] if self.feed else []))


class _Seq2SeqStep(nn.Module):
    def __init__(self, model: nn.Module, lstm: bool, feed: bool, attention: bool):
        super().__init__()
        self.model, self.lstm, self.feed, self.attention = model, lstm, feed, attention

    def forward(self, tokens: Tensor, *args: Tensor):
        args = list(args)
        h = args.pop(0)
        rnn = (h, args.pop(0)) if self.lstm else h
        feed = args.pop(0) if self.feed else None
        memory = args.pop(0)
        keys = args.pop(0) if self.attention else None
        state = DecoderState(rnn, memory, keys, args.pop(0), feed)
        logits, new = self.model.decoder.step(tokens, state)
        out = [torch.log_softmax(logits, -1), hidden_of(new.rnn)]
        out += [new.rnn[1]] if self.lstm else []
        out += [new.feed] if self.feed else []
        return tuple(out + ([new.attn] if self.attention else []))


def seq2seq_graphs(model: nn.Module) -> list[Graph]:
    """The encoder and the one-step decoder of a seq2seq model."""
    lstm = model.decoder.rnn.mode == "lstm"
    feed, attention = model.decoder.input_feed, model.has_attention
    src, lengths = torch.tensor([[4, 5, 6, 3], [5, 6, 3, 0]]), torch.tensor([4, 3])
    with torch.no_grad():
        state = model.start(src, lengths)
    enc_out = ["memory", "keys", "mask", "h"] + (["c"] if lstm else []) + (["feed"] * feed)
    states = ["h"] + (["c"] if lstm else []) + (["feed"] if feed else [])
    step_in = ["tokens", *states, "memory"] + (["keys"] if attention else []) + ["mask"]
    step_out = ["logp"] + [f"{s}_out" for s in states] + (["attn"] if attention else [])
    example = [torch.tensor([1, 1]), hidden_of(state.rnn)]
    example += [state.rnn[1]] if lstm else []
    example += [state.feed] if feed else []
    example += [state.memory] + ([state.keys] if attention else []) + [state.mask]
    seq = {0: "batch", 1: "source"}
    axes = {"src": seq, "lengths": {0: "batch"}, "memory": seq, "keys": seq, "mask": seq}
    axes.update({"tokens": {0: "batch"}, "logp": {0: "batch"}, "attn": seq, "feed": {0: "batch"}})
    axes.update(_state_axes(["h", "c", "h_out", "c_out"]))
    axes["feed_out"] = {0: "batch"}
    return [
        Graph("encoder", _Seq2SeqEncoder(model, lstm, feed), (src, lengths),
              ["src", "lengths"], enc_out, axes),
        Graph("step", _Seq2SeqStep(model, lstm, feed, attention), tuple(example),
              step_in, step_out, axes),
    ]  # fmt: skip


class _LMStep(nn.Module):
    """One token: the fused cell step (not the table-driven path: a plain graph quantizes)."""

    def __init__(self, model: nn.Module, lstm: bool):
        super().__init__()
        self.model, self.lstm = model, lstm

    def forward(self, tokens: Tensor, h: Tensor, c: Tensor | None = None):
        state = (h, c) if self.lstm else h
        out, new = self.model.rnn.step(self.model.embedding(tokens), state)
        logp = torch.log_softmax(self.model._head(out), -1)
        return (logp, new[0], new[1]) if self.lstm else (logp, new)


class _LMForward(nn.Module):
    def __init__(self, model: nn.Module, lstm: bool):
        super().__init__()
        self.model, self.lstm = model, lstm

    def forward(self, tokens: Tensor, h: Tensor, c: Tensor | None = None):
        state = (h, c) if self.lstm else h
        logits, new = self.model(tokens, state)
        logp = torch.log_softmax(logits, -1)
        return (logp, new[0], new[1]) if self.lstm else (logp, new)


def lm_graphs(model: nn.Module) -> list[Graph]:
    lstm = model.rnn.mode == "lstm"
    zeros = torch.zeros(model.rnn.num_layers, 2, model.rnn.hidden_size)
    states = [zeros, zeros.clone()] if lstm else [zeros]
    names = ["h", "c"] if lstm else ["h"]
    outs = [f"{n}_out" for n in names]
    axes = {"tokens": {0: "batch"}, "logp": {0: "batch"}, **_state_axes(names + outs)}
    seq_axes = {**axes, "tokens": {0: "batch", 1: "time"}, "logp": {0: "batch", 1: "time"}}
    return [
        Graph("step", _LMStep(model, lstm), (torch.tensor([1, 2]), *states),
              ["tokens", *names], ["logp", *outs], axes),
        Graph("forward", _LMForward(model, lstm), (torch.tensor([[1, 2, 3], [4, 5, 6]]), *states),
              ["tokens", *names], ["logp", *outs], seq_axes),
    ]  # fmt: skip


class _CondGenStart(nn.Module):
    def __init__(self, model: nn.Module, lstm: bool):
        super().__init__()
        self.model, self.lstm = model, lstm

    def forward(self, condition: Tensor):
        rnn, cond = self.model.start(condition)
        return (rnn[0], rnn[1], cond) if self.lstm else (rnn, cond)


class _CondGenStep(nn.Module):
    def __init__(self, model: nn.Module, lstm: bool):
        super().__init__()
        self.model, self.lstm = model, lstm

    def forward(self, tokens: Tensor, cond: Tensor, h: Tensor, c: Tensor | None = None):
        rnn = (h, c) if self.lstm else h
        logits, (new, _) = self.model.step(tokens, (rnn, cond))
        logp = torch.log_softmax(logits, -1)
        return (logp, new[0], new[1]) if self.lstm else (logp, new)


def condgen_graphs(model: nn.Module) -> list[Graph]:
    lstm = model.rnn.mode == "lstm"
    if model.num_classes:
        condition = torch.tensor([0, 1 % model.num_classes])
    else:
        condition = torch.zeros(2, model.feature_size)
    with torch.no_grad():
        rnn, cond = model.start(condition)
    names = ["h", "c"] if lstm else ["h"]
    outs = [f"{n}_out" for n in names]
    states = [rnn[0], rnn[1]] if lstm else [rnn]
    axes = {"condition": {0: "batch"}, "cond": {0: "batch"}, "tokens": {0: "batch"}}
    axes.update(logp={0: "batch"}, **_state_axes(names + outs))
    return [
        Graph("start", _CondGenStart(model, lstm), (condition,), ["condition"],
              [*outs, "cond"], axes),
        Graph("step", _CondGenStep(model, lstm), (torch.tensor([1, 1]), cond, *states),
              ["tokens", "cond", *names], ["logp", *outs], axes),
    ]  # fmt: skip


class _Classifier(nn.Module):
    """The classifier, returning its sequence outputs too: the exporter's clean-up of unused
    recurrent outputs fails on a packed LSTM whose outputs only its final state is read from."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, tokens: Tensor, lengths: Tensor):
        outputs, state = self.model.encode(tokens, lengths)
        summary = self.model.summarize(outputs, state, lengths)  # (B, D*H)
        return self.model.output(self.model.dropout(summary)), outputs


def classifier_graphs(model: nn.Module) -> list[Graph]:
    example = (torch.tensor([[4, 5, 6], [5, 6, 0]]), torch.tensor([3, 2]))
    axes = {"tokens": {0: "batch", 1: "time"}, "lengths": {0: "batch"}, "logits": {0: "batch"}}
    axes["outputs"] = {0: "batch", 1: "time"}
    inputs, outputs = ["tokens", "lengths"], ["logits", "outputs"]
    return [Graph("classifier", _Classifier(model), example, inputs, outputs, axes)]


class _Emissions(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, tokens: Tensor, lengths: Tensor, chars: Tensor | None = None):
        return self.model(tokens, lengths, chars)


def tagger_graphs(model: nn.Module) -> list[Graph]:
    tokens, lengths = torch.tensor([[4, 5, 6], [5, 6, 0]]), torch.tensor([3, 2])
    inputs, example = ["tokens", "lengths"], (tokens, lengths)
    axes = {"tokens": {0: "batch", 1: "time"}, "lengths": {0: "batch"}}
    axes["emissions"] = {0: "batch", 1: "time"}
    if model.chars is not None:
        inputs, example = inputs + ["chars"], (*example, torch.randint(4, 8, (2, 3, 5)))
        axes["chars"] = {0: "batch", 1: "time", 2: "width"}
    return [Graph("emissions", _Emissions(model), example, inputs, ["emissions"], axes)]


GRAPHS = {
    "seq2seq": seq2seq_graphs,
    "lm": lm_graphs,
    "condgen": condgen_graphs,
    "classify": classifier_graphs,
    "tag": tagger_graphs,
}
