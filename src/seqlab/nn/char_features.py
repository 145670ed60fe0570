"""Character-level word features: one vector per word, built from its spelling.

A word-level vocabulary maps every unseen word to ``<unk>``; its characters still say a lot
("Kowalski" ends like a surname, "1996-08-22" is a date). Each word's characters are read on
their own and summarised into a fixed-size vector that joins the word embedding:

    chars (B, T, C) --embed--> (B*T, C, Ec) --BiLSTM final h--> (B*T, 2*H) --> (B, T, 2*H)
                                            --CNN + max over C--> (B*T, F)  --> (B, T, F)

Padding characters (id 0) are masked, so a word's vector does not depend on how long the
longest word of the batch is; padded words (all-zero rows) get the zero vector.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab.nn.recurrent import Recurrent

CHAR_FEATURES = ("none", "lstm", "cnn")


class CharLSTMFeatures(nn.Module):
    """Final forward and backward states of a BiLSTM over each word's characters."""

    def __init__(self, num_chars: int, char_embedding_dim: int = 25, hidden_size: int = 25):
        super().__init__()
        self.embedding = nn.Embedding(num_chars, char_embedding_dim, padding_idx=0)
        self.rnn = Recurrent("lstm", char_embedding_dim, hidden_size, bidirectional=True)
        self.output_size = 2 * hidden_size

    def forward(self, chars: Tensor) -> Tensor:
        """chars (B, T, C) -> (B, T, 2*H)."""
        batch, steps, width = chars.shape
        flat = chars.reshape(batch * steps, width)  # (N, C)
        lengths = (flat != 0).sum(-1)  # (N,)
        out = flat.new_zeros(batch * steps, self.output_size, dtype=self.embedding.weight.dtype)
        words = lengths > 0
        if words.any():
            x = self.embedding(flat[words])  # (n, C, Ec)
            _, (h, _) = self.rnn(x, lengths[words])  # h: (2, n, H)
            out[words] = torch.cat([h[0], h[1]], dim=-1)  # (n, 2*H)
        return out.view(batch, steps, self.output_size)


class CharCNNFeatures(nn.Module):
    """Max over positions of a 1-D convolution over each word's characters (Ma & Hovy)."""

    def __init__(
        self,
        num_chars: int,
        char_embedding_dim: int = 25,
        num_filters: int = 30,
        kernel_size: int = 3,
    ):
        super().__init__()
        self.embedding = nn.Embedding(num_chars, char_embedding_dim, padding_idx=0)
        self.conv = nn.Conv1d(
            char_embedding_dim, num_filters, kernel_size, padding=kernel_size // 2
        )
        self.output_size = num_filters

    def forward(self, chars: Tensor) -> Tensor:
        """chars (B, T, C) -> (B, T, F)."""
        batch, steps, width = chars.shape
        flat = chars.reshape(batch * steps, width)  # (N, C)
        x = self.embedding(flat).transpose(1, 2)  # (N, Ec, C)
        y = self.conv(x)[..., :width]  # (N, F, C)
        valid = (flat != 0).unsqueeze(1)  # (N, 1, C)
        y = y.masked_fill(~valid, float("-inf")).amax(-1)  # (N, F)
        y = torch.where(valid.any(-1), y, torch.zeros_like(y))  # empty words -> 0, not -inf
        return y.view(batch, steps, -1)


def build_char_features(
    kind: str,
    num_chars: int,
    *,
    char_embedding_dim: int,
    char_hidden_size: int,
    kernel_size: int = 3,
) -> nn.Module | None:
    """``lstm`` (hidden size per direction), ``cnn`` (filters) or ``none`` (returns None)."""
    if kind == "none":
        return None
    if kind == "lstm":
        return CharLSTMFeatures(num_chars, char_embedding_dim, char_hidden_size)
    if kind == "cnn":
        return CharCNNFeatures(num_chars, char_embedding_dim, char_hidden_size, kernel_size)
    raise ValueError(f"unknown char features {kind!r}; expected one of {', '.join(CHAR_FEATURES)}")
