"""The graphs of a Transformer language model: its key/value cache as explicit inputs and outputs.

    step     (tokens (B,), past_keys, past_values, real (B, t), positions (B,))
             -> logp (B, V), keys_out, values_out
    forward  (tokens (B, T), past_keys, past_values, real (B, t), positions (B,))
             -> logp (B, T, V), keys_out, values_out

The cache of every block is stacked over the layers: past_keys and past_values are
(L, B, h, t, d_k), keys_out and values_out (L, B, h, t + T, d_k); the batch and t axes are
dynamic, and t may be 0 (nothing read yet). ``real`` marks the cached positions that hold a real
token (False for the padding of a shorter prime), ``positions`` the position each row's next token
takes. Both are updated outside the graph (real gains T columns of True, positions T): the
runtime keeps them as torch's :class:`~seqlab.models.transformer_lm.TransformerState` does.

The graphs always pass a mask (causal, and False over padded keys): torch's model leaves it out
for a step without padding, a choice on values that a traced graph cannot make.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.export.graphs import Graph
from seqlab.nn.kv_cache import KVCache

STEP_INPUTS = ["tokens", "past_keys", "past_values", "real", "positions"]
OUTPUTS = ["logp", "keys_out", "values_out"]


class _TransformerWindow(nn.Module):
    """T tokens after a cache of t positions (T = 1 for the step graph)."""

    def __init__(self, model: nn.Module, single: bool):
        super().__init__()
        self.model, self.single = model, single

    def forward(
        self,
        tokens: Tensor,
        past_keys: Tensor,
        past_values: Tensor,
        real: Tensor,
        positions: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor]:
        tokens = tokens.unsqueeze(1) if self.single else tokens  # (B, T)
        steps = torch.arange(tokens.shape[1], device=tokens.device)  # (T,)
        index = positions.unsqueeze(1) + steps  # (B, T)
        x = self.model.embedding(tokens) + self.model.positions.table()[index]  # (B, T, D)
        mask = _mask(real, steps, past_keys.shape[3])  # (B, 1, T, t + T)
        keys, values = [], []
        for layer, block in enumerate(self.model.blocks):
            x, cache = block(x, mask, KVCache(past_keys[layer], past_values[layer]))
            keys.append(cache.keys)  # (B, h, t + T, d_k)
            values.append(cache.values)
        logp = torch.log_softmax(self.model.output(self.model.norm(x)), -1)  # (B, T, V)
        logp = logp[:, 0] if self.single else logp
        return logp, torch.stack(keys), torch.stack(values)  # (L, B, h, t + T, d_k)


def _mask(real: Tensor, steps: Tensor, cached) -> Tensor:
    """real (B, t), steps arange(T), cached t -> (B, 1, T, t + T) bool: query i sees key s when
    s <= t + i and key s is real (the T new keys always are)."""
    new = torch.ones(real.shape[0], steps.shape[0], dtype=torch.bool, device=real.device)
    keys = torch.cat([real, new], dim=1)  # (B, t + T)
    columns = torch.arange(keys.shape[1], device=real.device)  # (t + T,)
    causal = columns.unsqueeze(0) <= (steps + cached).unsqueeze(1)  # (T, t + T)
    return (causal.unsqueeze(0) & keys[:, None, :]).unsqueeze(1)  # (B, 1, T, t + T)


def _cache_shape(model: nn.Module) -> tuple[int, int, int]:
    """(L, h, d_k) of a Transformer LM's cache."""
    attention = model.blocks[0].self_attn
    return len(model.blocks), attention.num_heads, attention.embed_dim // attention.num_heads


def transformer_lm_graphs(model: nn.Module) -> list[Graph]:
    """The step and forward graphs of a :class:`~seqlab.models.transformer_lm.TransformerLM`."""
    layers, heads, head_dim = _cache_shape(model)
    past = torch.randn(layers, 2, heads, 3, head_dim) * 0.1  # (L, B, h, t, d_k), t = 3
    real = torch.tensor([[True, True, True], [True, False, False]])  # a padded prime
    positions = torch.tensor([3, 1])
    cache = {0: "layers", 1: "batch", 3: "past"}
    grown = {0: "layers", 1: "batch", 3: "length"}
    axes = {"past_keys": cache, "past_values": cache, "keys_out": grown, "values_out": grown}
    axes.update(real={0: "batch", 1: "past"}, positions={0: "batch"})
    step_axes = {**axes, "tokens": {0: "batch"}, "logp": {0: "batch"}}
    window_axes = {**axes, "tokens": {0: "batch", 1: "time"}, "logp": {0: "batch", 1: "time"}}
    state = (past, past.flip(0).contiguous(), real, positions)
    return [
        Graph("step", _TransformerWindow(model, True), (torch.tensor([1, 2]), *state),
              STEP_INPUTS, OUTPUTS, step_axes),
        Graph("forward", _TransformerWindow(model, False), (torch.tensor([[1, 2], [4, 5]]), *state),
              STEP_INPUTS, OUTPUTS, window_axes),
    ]  # fmt: skip
