"""The position-wise feed-forward layer of a Transformer block.

Applied to each position on its own (no mixing across t; that is attention's job)::

    FFN(x) = W_2 dropout(act(W_1 x + b_1)) + b_2      x (B, T, D), hidden (B, T, F), F ~ 4 D

``act`` is ReLU in the original Transformer and GELU in GPT. The names ``linear1``/``linear2``
are those of ``torch.nn.TransformerEncoderLayer``. Parameters: 2 D F + F + D.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class FeedForward(nn.Module):
    """D -> F -> D, per position: ``linear2(dropout(act(linear1(x))))``."""

    def __init__(
        self, d_model: int, dim_feedforward: int, *, dropout: float = 0.0, activation="relu"
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}"
            )
        self.activation = activation
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)

    def forward(self, x: Tensor) -> Tensor:
        hidden = ACTIVATIONS[self.activation](self.linear1(x))  # (B, T, F)
        return self.linear2(self.dropout(hidden))  # (B, T, D)
