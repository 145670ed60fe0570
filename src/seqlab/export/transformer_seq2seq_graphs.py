"""The graphs of a Transformer encoder-decoder: the encoder once per source, the decoder step
over its self-attention cache and the memory's precomputed keys and values.

    encoder  (src (B, S), lengths (B,)) -> memory_keys, memory_values, mask (B, S)
    step     (tokens (B,), past_keys, past_values, positions (B,), memory_keys, memory_values,
              mask) -> logp (B, V), keys_out, values_out, attn (B, S)

Each cache is stacked over the decoder's layers: memory_keys and memory_values are
(L, B, h, S, d_k) (every layer's cross-attention keys and values of the source, computed once),
past_keys and past_values (L, B, h, t, d_k), keys_out and values_out (L, B, h, t + 1, d_k). The
batch, source and t axes are dynamic; t is 0 before the first step. ``mask`` is True at real
source tokens; ``positions`` is the position the next target token takes (every row's t, the
target having no padding). ``attn`` is the last layer's cross-attention, averaged over the heads.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.export.graphs import Graph
from seqlab.nn.kv_cache import KVCache

ENCODER_OUTPUTS = ["memory_keys", "memory_values", "mask"]
STEP_INPUTS = ["tokens", "past_keys", "past_values", "positions", *ENCODER_OUTPUTS]
STEP_OUTPUTS = ["logp", "keys_out", "values_out", "attn"]


class _Encoder(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        state = self.model.start(src, lengths)
        keys = torch.stack([kv.keys for kv in state.memory])  # (L, B, h, S, d_k)
        values = torch.stack([kv.values for kv in state.memory])  # (L, B, h, S, d_k)
        return keys, values, state.mask


class _DecoderStep(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, tokens, past_keys, past_values, positions, memory_keys, memory_values, mask):
        m = self.model
        table = m.positions.table()  # (max_len, D)
        x = (m.tgt_embedding(tokens) * m.scale + table[positions]).unsqueeze(1)  # (B, 1, D)
        masks = (None, mask[:, None, None, :])  # every cached target position is real
        keys, values, last = [], [], len(m.decoder_blocks) - 1
        for layer, block in enumerate(m.decoder_blocks):
            memory = KVCache(memory_keys[layer], memory_values[layer])
            cache = KVCache(past_keys[layer], past_values[layer])
            x, cache, weights = block.with_weights(
                x, memory, masks, cache, need_weights=layer == last
            )
            keys.append(cache.keys)  # (B, h, t + 1, d_k)
            values.append(cache.values)
        logp = torch.log_softmax(m.output(m.decoder_norm(x))[:, 0], -1)  # (B, V)
        attn = weights.mean(dim=1)[:, 0]  # (B, h, 1, S) -> (B, S)
        return logp, torch.stack(keys), torch.stack(values), attn


def transformer_seq2seq_graphs(model: nn.Module) -> list[Graph]:
    """The encoder and decoder step graphs of a
    :class:`~seqlab.models.transformer_seq2seq.TransformerSeq2Seq`."""
    src, lengths = torch.tensor([[4, 5, 6, 3], [5, 6, 3, 0]]), torch.tensor([4, 3])
    with torch.no_grad():
        memory_keys, memory_values, mask = _Encoder(model)(src, lengths)
    layers, _, heads, _, head_dim = memory_keys.shape
    past = torch.randn(layers, 2, heads, 3, head_dim) * 0.1  # (L, B, h, t, d_k), t = 3
    example = (torch.tensor([4, 5]), past, past.flip(0).contiguous(), torch.tensor([3, 3]))
    memory = {0: "layers", 1: "batch", 3: "source"}
    seq = {0: "batch", 1: "source"}
    axes = {"src": seq, "lengths": {0: "batch"}, "mask": seq, "attn": seq}
    axes.update(memory_keys=memory, memory_values=memory, tokens={0: "batch"})
    axes.update(positions={0: "batch"}, logp={0: "batch"})
    for name, length in [("past", "past"), ("keys_out", "length"), ("values_out", "length")]:
        axes[name] = {0: "layers", 1: "batch", 3: length}
    axes["past_keys"] = axes["past_values"] = axes.pop("past")
    return [
        Graph("encoder", _Encoder(model), (src, lengths), ["src", "lengths"], ENCODER_OUTPUTS,
              axes),
        Graph("step", _DecoderStep(model), (*example, memory_keys, memory_values, mask),
              STEP_INPUTS, STEP_OUTPUTS, axes),
    ]  # fmt: skip
