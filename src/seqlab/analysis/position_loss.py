"""Language-model loss by position inside the window: how much does a longer context help?

Cut a token stream into windows of T + 1 tokens, one after another (each target is scored
once), and score every window from a fresh state: no state is carried in from the window
before, for a recurrent model or a Transformer alike. Position t of a window then predicts its
token from exactly t + 1 tokens of context, and the mean negative log-likelihood at position
t, over all windows, shows what more context buys (Kaplan et al. 2020, figure 7)::

    stream   a b c d e f g h i ...
    window 0 [a b c d] -> targets [b c d e]     T = 4
    window 1 [e f g h] -> targets [f g h i]     (fresh state: e is read with no context)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.errors import SeqlabError


def stream_windows(ids: Tensor, length: int) -> tuple[Tensor, Tensor]:
    """Consecutive windows of a stream ids (N,): inputs (W, T) and next-token targets (W, T),
    W = (N - 1) // T windows; a tail shorter than T is dropped."""
    count = (ids.numel() - 1) // length
    if count < 1:
        raise SeqlabError(
            f"the text has {ids.numel():,} tokens, fewer than one window of {length} + 1"
        )
    inputs = ids[: count * length].view(count, length)  # (W, T)
    targets = ids[1 : count * length + 1].view(count, length)  # (W, T)
    return inputs, targets


@torch.no_grad()
def nll_by_position(
    model: nn.Module, ids: Tensor, length: int, *, batch_size: int = 32, max_windows: int = 0
) -> tuple[Tensor, int]:
    """Mean nll (nats) at each position of a window, each window from a fresh state.

    Args:
        model: maps (tokens (B, T), state None, targets (B, T)) to (nll (B, T), state), as
            :class:`~seqlab.models.lm.LanguageModel` and ``TransformerLM`` do.
        ids: (N,) the token stream. length: T. max_windows: score only the first this many
            windows (0: all).
    Returns:
        (T,) float64, position t's mean nll over the windows, and the number of windows W.
    """
    model.eval()
    device = next(model.parameters()).device
    inputs, targets = stream_windows(ids, length)  # (W, T) each
    if max_windows > 0:
        inputs, targets = inputs[:max_windows], targets[:max_windows]
    total = torch.zeros(length, dtype=torch.float64)
    for start in range(0, inputs.shape[0], batch_size):
        x = inputs[start : start + batch_size].to(device)  # (B, T)
        y = targets[start : start + batch_size].to(device)  # (B, T)
        nll, _ = model(x, None, y)  # (B, T), from a fresh state
        total += nll.double().sum(dim=0).cpu()
    return total / inputs.shape[0], inputs.shape[0]
