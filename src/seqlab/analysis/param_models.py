"""Build a runnable torch model from a ``seqlab params`` spec, to check the analytic counts.

Each spec token becomes its own torch module: ``torch.nn.Embedding``, ``torch.nn.RNN/LSTM/GRU``
(``batch_first=True``; ``layers=N`` becomes ``num_layers=N``), ``torch.nn.Linear``, or seqlab's
own attention (:mod:`seqlab.nn.attention`, the decoder's). The test suite checks that the
PyTorch-convention count of a spec equals ``sum(p.numel() for p in ...parameters())``.

Attention scores, for a query q (H_dec) and a key k (H_enc), all without bias::

    bahdanau       v^T tanh(W_q q + W_k k)     W_q (H_dec x A), W_k (H_enc x A), v (A)
    luong_general  q^T W k                     W (H_dec x H_enc)
    luong_dot      q^T k                       no parameters; needs H_enc == H_dec
    luong_concat   v^T tanh(W [q; k])          W ((H_dec + H_enc) x A), v (A)
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.analysis.param_spec import (
    AttentionSpec,
    DenseSpec,
    EmbeddingSpec,
    InputSpec,
    RecurrentSpec,
    attention_sizes,
    input_sizes,
    parse_spec,
)
from seqlab.nn.attention import Attention, BahdanauAttention, ConcatAttention, LuongAttention

_RECURRENT_MODULES: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SpecAttention(nn.Module):
    """A spec's attention layer: seqlab's own attention (:mod:`seqlab.nn.attention`) over keys
    (B, S, H_enc) for queries (B, T, H_dec); returns ``[context; query]`` (B, T, H_enc + H_dec)."""

    def __init__(self, attention: Attention):
        super().__init__()
        self.attention = attention

    def forward(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        keys = self.attention.keys(memory)  # (B, S, A)
        mask = torch.ones(memory.shape[:2], dtype=torch.bool, device=memory.device)  # (B, S)
        context, _ = self.attention(query, keys, memory, mask)  # (B, T, H_enc)
        return torch.cat([context, query], dim=-1)


class SpecModel(nn.Module):
    """The layers of a spec run in order.

    ``forward(inputs, memory=None)``: inputs are token ids (B, T) after an embedding, else
    features (B, T, D). A recurrent layer passes on its output sequence (B, T, D*H); a dense
    layer right after one reads its last step (B, D*H). Attention layers attend over ``memory``
    (B, S, H_enc) when given, else over their own input sequence.
    """

    def __init__(self, layers: list[nn.Module], last_step: list[bool]):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.last_step = last_step  # per layer: read only the last step of the input

    def forward(self, inputs: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        x = inputs
        for layer, last_step in zip(self.layers, self.last_step, strict=True):
            if last_step:
                x = x[:, -1]  # (B, D*H)
            if isinstance(layer, nn.RNNBase):
                x, _ = layer(x)  # (B, T, D*H)
            elif isinstance(layer, SpecAttention):
                x = layer(x, x if memory is None else memory)
            else:
                x = layer(x)
        return x


def _attention_module(layer: AttentionSpec, input_size: int) -> SpecAttention:
    query_size, key_size, attention_size = attention_sizes(layer, input_size)
    kinds = {
        "bahdanau": lambda: BahdanauAttention(query_size, key_size, attention_size, bias=False),
        "luong_general": lambda: LuongAttention(query_size, key_size, "general"),
        "luong_dot": lambda: LuongAttention(query_size, key_size, "dot"),
        "luong_concat": lambda: ConcatAttention(query_size, key_size, attention_size),
    }
    return SpecAttention(kinds[layer.score]())


def build_torch_model(spec: str) -> SpecModel:
    """A torch model with one module per spec token; its parameters follow PyTorch's convention."""
    layers = parse_spec(spec)
    modules: list[nn.Module] = []
    last_step: list[bool] = []
    previous = None
    for layer, input_size in zip(layers, input_sizes(layers), strict=True):
        last_step.append(isinstance(layer, DenseSpec) and isinstance(previous, RecurrentSpec))
        previous = layer
        if isinstance(layer, InputSpec):
            modules.append(nn.Identity())
        elif isinstance(layer, EmbeddingSpec):
            modules.append(nn.Embedding(layer.num_embeddings, layer.embedding_dim))
        elif isinstance(layer, RecurrentSpec):
            module_type = _RECURRENT_MODULES[layer.cell]
            modules.append(
                module_type(
                    input_size,
                    layer.hidden_size,
                    num_layers=layer.num_layers,
                    bidirectional=layer.bidirectional,
                    batch_first=True,
                )
            )
        elif isinstance(layer, DenseSpec):
            modules.append(nn.Linear(input_size, layer.out_features))
        else:
            modules.append(_attention_module(layer, input_size))
    return SpecModel(modules, last_step)
