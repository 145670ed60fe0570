"""Every layer's and every head's attention weights of a Transformer, for plots and the studio.

The weights come from the model's own attention layers (:class:`~seqlab.nn.multi_head.
MultiHeadAttention`): while :func:`recording` is active each layer runs its "explicit" path,
which returns the softmax weights (B, h, T, S) it used, and each call's weights are kept under
the layer's name. Nothing here recomputes attention, so the maps are what the model computed.

Layers are grouped into kinds by where they sit in the model::

    blocks.i.self_attn            "self"    a language model's causal self-attention (T x T)
    encoder_blocks.i.self_attn    "source"  the encoder's self-attention (S x S)
    decoder_blocks.i.self_attn    "target"  the decoder's causal self-attention (T x T)
    decoder_blocks.i.cross_attn   "cross"   target queries over the encoder's output (T x S)

A decoder run step by step (one token, a key/value cache) makes one call per step, each
(B, h, 1, t + 1) for self-attention; the rows are stacked, and the keys a step could not yet
see (its future) are 0, as the causal mask makes them in a whole-sequence pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from seqlab.nn.multi_head import MultiHeadAttention

KINDS = {
    ("blocks", "self_attn"): "self",
    ("encoder_blocks", "self_attn"): "source",
    ("decoder_blocks", "self_attn"): "target",
    ("decoder_blocks", "cross_attn"): "cross",
}


def attention_layers(model: nn.Module) -> dict[str, list[MultiHeadAttention]]:
    """kind -> its attention layers in layer order (empty for a model without attention).

    Only the model's own blocks count (``blocks.i.self_attn``, not ``members.0.blocks...`` of
    an ensemble, whose members each have their own maps)."""
    found: dict[str, list[MultiHeadAttention]] = {}
    for name, module in model.named_modules():
        parts = name.split(".")
        if isinstance(module, MultiHeadAttention) and len(parts) == 3:
            kind = KINDS.get((parts[-3], parts[-1]))
            if kind is not None:
                found.setdefault(kind, []).append(module)
    return found


def has_attention_maps(model: nn.Module) -> bool:
    """Whether :func:`lm_attention` or :func:`seq2seq_attention` can map this model."""
    return bool(attention_layers(model))


@contextmanager
def recording(model: nn.Module) -> Iterator[dict[int, list[Tensor]]]:
    """While active, every attention layer of ``model`` runs explicitly and its weights
    (B, h, T, S) of each call are appended to ``calls[id(layer)]``; afterwards each layer is
    as it was (its impl and its own ``attend``)."""
    calls: dict[int, list[Tensor]] = {}
    layers = [layer for group in attention_layers(model).values() for layer in group]
    saved = [(layer, layer.impl) for layer in layers]

    def recorder(layer: MultiHeadAttention):
        attend = layer.attend  # the bound method of the class

        def recorded(query, kv, mask=None, **options):
            output, weights = attend(query, kv, mask, **options)
            calls.setdefault(id(layer), []).append(weights.detach())
            return output, weights

        return recorded

    try:
        for layer in layers:
            layer.impl = "explicit"
            layer.attend = recorder(layer)  # an instance attribute: self_attend calls it too
        yield calls
    finally:
        for layer, impl in saved:
            layer.impl = impl
            del layer.attend


def _stacked(calls: list[Tensor]) -> Tensor:
    """One layer's calls, each (B, h, T_i, S_i) -> (B, h, sum T_i, max S_i), zero-padded keys."""
    width = max(c.shape[-1] for c in calls)
    rows = [nn.functional.pad(c, (0, width - c.shape[-1])) for c in calls]
    return torch.cat(rows, dim=2)


def _maps(model: nn.Module, calls: dict[int, list[Tensor]]) -> dict[str, Tensor]:
    """kind -> (B, N, h, T, S): the N layers of each kind, stacked."""
    out = {}
    for kind, layers in attention_layers(model).items():
        out[kind] = torch.stack([_stacked(calls[id(layer)]) for layer in layers], dim=1)
    return out


@torch.no_grad()
def lm_attention(model: nn.Module, tokens: Tensor) -> dict[str, Tensor]:
    """A decoder-only Transformer (e.g. :class:`~seqlab.models.transformer_lm.TransformerLM`)
    reads tokens (B, T) in one pass -> {"self": (B, N, h, T, T)}: N layers, h heads, row t the
    weights of query t over keys 0..T-1 (0 above the diagonal)."""
    if not has_attention_maps(model):
        raise ValueError(f"{type(model).__name__} has no Transformer attention layers to map")
    with recording(model) as calls:
        model(tokens)
    return _maps(model, calls)


@torch.no_grad()
def seq2seq_attention(
    model: nn.Module, src: Tensor, src_lengths: Tensor, tgt: Tensor
) -> dict[str, Tensor]:
    """An encoder-decoder Transformer reads src (B, S) (``src_lengths`` (B,)) and is fed the
    decoder inputs tgt (B, T) (the start token, then the output tokens) one step at a time,
    through its decoding protocol (``start``, ``step``) -> {"source": (B, N, h, S, S),
    "target": (B, N, h, T, T), "cross": (B, N, h, T, S)}."""
    if not has_attention_maps(model):
        raise ValueError(f"{type(model).__name__} has no Transformer attention layers to map")
    with recording(model) as calls:
        state = model.start(src, src_lengths)
        for t in range(tgt.shape[1]):
            _, state = model.step(tgt[:, t], state)  # logits (B, V)
    return _maps(model, calls)
