"""||dL/dx_t||: how much the last prediction depends on each input vector, for any family.

x_t is the embedded input at position t (the output of the model's embedding layer, before the
Transformer adds positions). The loss L is the cross-entropy of the prediction at the *last*
position only, so dL/dx_t measures how strongly the input T-1-t steps back still moves it. The
measure is defined the same way for a recurrent LM and a Transformer, so the two compare:

    recurrent:   x_t -> h_t -> h_{t+1} -> ... -> h_{T-1} -> logits      (T-1-t Jacobians)
    transformer: x_t -> attention of position T-1 over s <= T-1 -> logits   (one step)

For the recurrent cells dL/dx_t = (dh_t/dx_t)^T dL/dh_t, so it inherits the geometric decay of
dL/dh_t (:mod:`seqlab.analysis.gradients`). In a causal Transformer every position is one
attention step from the last, so the gradient does not decay with distance.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.analysis.adding import CELLS
from seqlab.models.lm import LanguageModel
from seqlab.models.transformer_lm import TransformerLM
from seqlab.nn.stack import RecurrentShape
from seqlab.nn.transformer_block import BlockShape

TRANSFORMER = "transformer"
MODELS = (*CELLS, TRANSFORMER)  # ("rnn", "lstm", "gru", "transformer")
EMBEDDING_DIM = 32  # the recurrent models' x_t; the Transformer's is its width


def build_lm(name: str, vocab_size: int, hidden_size: int, *, seed: int, max_len: int):
    """A one-layer char LM without dropout (so gradients are deterministic).

    Recurrent (rnn, lstm, gru): embedding 32 -> one layer of ``hidden_size``. Transformer: one
    causal pre-LN block of width D = ``hidden_size`` (4 heads when D divides by 4, else 1;
    feed-forward 4 D, GELU as ``arch: transformer`` has it), learned positions up to
    ``max_len``, tied output layer.
    """
    torch.manual_seed(seed)
    if name != TRANSFORMER:
        shape = RecurrentShape(name, EMBEDDING_DIM, hidden_size, num_layers=1, dropout=0.0)
        return LanguageModel(vocab_size, shape)
    heads = 4 if hidden_size % 4 == 0 else 1
    block = BlockShape(hidden_size, heads, 4 * hidden_size, dropout=0.0, activation="gelu")
    return TransformerLM(vocab_size, block, num_layers=1, max_len=max_len)


def input_gradient_norms(model: nn.Module, tokens: Tensor, targets: Tensor) -> list[float]:
    """Mean over the batch of ||dL/dx_t||, t = 0..T-1, for L = CE of the last prediction.

    Args:
        model: a :class:`LanguageModel` or :class:`TransformerLM` (anything whose ``embedding``
            makes x (B, T, E) and whose forward maps tokens (B, T) to (logits (B, T, V), state)).
        tokens: (B, T) inputs. targets: (B,) the token after each window.
    Returns:
        T floats; element t is the batch mean of the L2 norm of dL_b/dx_t (each (E,)),
        computed on a float64 copy of the model, which is left untouched.
    """
    model = copy.deepcopy(model).double().eval()  # float64: the t=0 gradients underflow float32
    embedded: list[Tensor] = []

    def keep(_module: nn.Module, _inputs: tuple, x: Tensor) -> None:
        x.retain_grad()  # x: (B, T, E), the graph node each x_t is a slice of
        embedded.append(x)

    handle = model.embedding.register_forward_hook(keep)
    try:
        logits, _ = model(tokens)  # (B, T, V)
    finally:
        handle.remove()
    F.cross_entropy(logits[:, -1], targets, reduction="sum").backward()  # last position only
    return embedded[0].grad.norm(dim=-1).mean(dim=0).tolist()
