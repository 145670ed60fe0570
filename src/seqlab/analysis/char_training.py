"""Random windows of a character corpus, and a short char-LM run on them.

The gradient diagnostics (:mod:`seqlab.analysis.gradients`) measure models at initialisation
and after a few hundred steps of this run; any model mapping tokens (B, T) to
(logits (B, T, V), state) trains here, recurrent or Transformer.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.data.io import read_text
from seqlab.data.tokenizers import CharTokenizer
from seqlab.data.vocab import Vocab
from seqlab.errors import SeqlabError


def load_corpus(path: str | Path) -> tuple[Tensor, int]:
    """Character ids of a text file (L,) and the vocabulary size."""
    tokens = CharTokenizer().tokenize(read_text(path, what="text file"))
    if len(tokens) < 3:
        raise SeqlabError(f"{path}: need at least 3 characters of text, got {len(tokens)}")
    vocab = Vocab.build([tokens])
    return torch.tensor(vocab.encode(tokens), dtype=torch.long), len(vocab)


def sample_windows(
    ids: Tensor, batch_size: int, length: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Random windows of a corpus: inputs (B, T) and next-token targets (B, T).

    A corpus shorter than T + 1 is repeated, so a tiny test text still gives long windows.
    """
    if ids.numel() < length + 1:
        ids = ids.repeat(math.ceil((length + 1) / ids.numel()) + 1)
    starts = torch.randint(0, ids.numel() - length, (batch_size,), generator=generator)
    index = starts[:, None] + torch.arange(length + 1)  # (B, T+1)
    window = ids[index]  # (B, T+1)
    return window[:, :-1], window[:, 1:]


def train_char_lm(
    model: nn.Module, ids: Tensor, steps: int, *, length: int, seed: int, lr: float = 3e-3
) -> list[float]:
    """A short char-LM run on random windows (Adam, clip 1.0); returns the loss per step."""
    generator = torch.Generator().manual_seed(seed + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        tokens, targets = sample_windows(ids, 32, length, generator)
        logits, _ = model(tokens)  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses
