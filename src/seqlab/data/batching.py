"""Shuffled, padded mini-batches addressed by (epoch, index), shared by the sentence tasks.

A batch is a pure function of (seed, epoch, index), so a resumed run sees the batches the
uninterrupted run would have seen, and each DDP rank takes every ``world``-th example of it.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import Tensor

from seqlab.data.vocab import PAD_ID


@lru_cache(maxsize=4)
def epoch_order(n: int, seed: int, epoch: int) -> Tensor:
    """The permutation of ``n`` examples for ``epoch`` (cached: drawn once per epoch)."""
    gen = torch.Generator().manual_seed(seed + epoch)
    return torch.randperm(n, generator=gen)


def batch_indices(
    n: int, batch_size: int, seed: int, epoch: int, *, index: int, rank: int = 0, world: int = 1
) -> list[int]:
    """Example indices of this rank's share of global batch ``index`` of ``epoch``.

    The epoch's order is a permutation drawn from a generator seeded with ``seed + epoch``, so
    a batch is a pure function of (seed, epoch, index): a resumed run sees the same batches.
    """
    order = epoch_order(n, seed, epoch)
    chunk = order[index * batch_size : (index + 1) * batch_size]
    return chunk[rank::world].tolist()


def count_batches(n: int, batch_size: int, world: int) -> int:
    """Batches per epoch; under DDP a final partial batch is dropped so no rank gets none."""
    if world > 1:
        return max(1, n // batch_size)
    return max(1, math.ceil(n / batch_size))


def pad_ids(seqs: list[list[int]], pad: int = PAD_ID) -> tuple[Tensor, Tensor]:
    """Id lists -> (ids (B, T) padded with ``pad``, lengths (B,))."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    ids = torch.full((len(seqs), int(lengths.max())), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return ids, lengths
