"""Casing features: what the case and digits of a word's spelling look like, as a small vector.

A lowercased word vocabulary (and GloVe, which is lowercase) cannot tell ``apple`` from
``Apple`` or ``APPLE``. Each word gets one of eight casing classes (Reimers and Gurevych, 2017),
looked up in an embedding that is learned:

    0 padding   1 numeric ``1996``   2 mainly numeric ``12-3``   3 all lower ``word``
    4 all upper ``NATO``   5 initial upper ``Paris``   6 contains a digit ``B52``   7 other

The class is computed from the word's character ids (B, T, C) through a table that gives each
character of the vocabulary its kind (pad, lower, upper, digit, other), so the model reads no
input besides the characters it already reads, and the rule travels with an ONNX export.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

PAD, LOWER, UPPER, DIGIT, OTHER = range(5)
CASE_CLASSES = 8


def char_kind(char: str) -> int:
    """The kind of one character of the vocabulary (a special token such as ``<unk>`` is other)."""
    if len(char) != 1:
        return OTHER
    if char.isdigit():
        return DIGIT
    if char.isupper():
        return UPPER
    return LOWER if char.islower() else OTHER


class CaseFeatures(nn.Module):
    """chars (B, T, C) -> casing class embeddings (B, T, embedding_dim)."""

    def __init__(self, alphabet: list[str], embedding_dim: int = 8):
        super().__init__()
        kinds = [PAD] + [char_kind(c) for c in alphabet[1:]]  # id 0 is the padding character
        self.register_buffer("kinds", torch.tensor(kinds, dtype=torch.long), persistent=False)
        self.embedding = nn.Embedding(CASE_CLASSES, embedding_dim, padding_idx=0)
        self.output_size = embedding_dim

    def classes(self, chars: Tensor) -> Tensor:
        """chars (B, T, C) -> casing class ids (B, T), 0 for padded words."""
        kinds = self.kinds[chars]  # (B, T, C)
        length = (kinds != PAD).sum(-1)  # (B, T)
        lower, upper, digits = ((kinds == k).sum(-1) for k in (LOWER, UPPER, DIGIT))
        out = torch.full_like(length, 7)
        rules = [  # the last rule written wins, so the list runs from weakest to strongest
            (digits > 0, 6),
            (kinds[..., 0] == UPPER, 5),
            (upper == length, 4),
            (lower == length, 3),
            (2 * digits > length, 2),
            (digits == length, 1),
            (length == 0, 0),
        ]
        for holds, value in rules:
            out = torch.where(holds, torch.full_like(out, value), out)
        return out

    def forward(self, chars: Tensor) -> Tensor:
        """chars (B, T, C) -> (B, T, embedding_dim)."""
        return self.embedding(self.classes(chars))
