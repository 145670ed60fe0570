"""Shuffled, padded mini-batches addressed by (epoch, index), shared by the sentence tasks.

A batch is a pure function of (seed, epoch, index), so a resumed run sees the batches the
uninterrupted run would have seen, and each DDP rank takes every ``world``-th example of it.

A task holds one *batch plan*, chosen once from ``train.batch_type``:

    ShuffledBatches   batch_size examples in a fresh random order each epoch (classify, tag,
                      condgen with ``batch_type: sentences``)
    BucketedBatches   batch_size examples of similar length, batches in random order (seq2seq
                      with ``batch_type: sentences``)
    TokenBatches      as many examples as fit a token budget, from length-sorted pools
                      (``batch_type: tokens``; :mod:`seqlab.data.token_batches`)

Every plan answers ``count(epoch)`` (global batches in the epoch) and ``rows(epoch, index)``
(this rank's example indices in global batch ``index``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import torch
from torch import Tensor

from seqlab.data.vocab import PAD_ID


class BatchPlan(Protocol):
    """How an epoch's training examples are cut into batches."""

    def count(self, epoch: int) -> int:
        """Global batches in ``epoch``."""
        ...

    def rows(self, epoch: int, index: int) -> list[int]:
        """This rank's example indices in global batch ``index`` of ``epoch``."""
        ...


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


class ShuffledBatches:
    """``batch_size`` examples at a time, in a fresh random order each epoch."""

    def __init__(self, n: int, batch_size: int, *, seed: int, rank: int = 0, world: int = 1):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.rank, self.world = rank, world

    def count(self, epoch: int) -> int:
        return count_batches(self.n, self.batch_size, self.world)

    def rows(self, epoch: int, index: int) -> list[int]:
        return batch_indices(
            self.n, self.batch_size, self.seed, epoch, index=index, rank=self.rank, world=self.world
        )


def epoch_batches(
    lengths: Sequence[int], batch_size: int, seed: int, bucket: int = 50
) -> list[list[int]]:
    """Index batches for one epoch, a pure function of ``seed``.

    Shuffle, then sort each window of ``bucket`` batches by length so a batch holds sentences of
    similar length (less padding), then shuffle the batches. The last, short batch is dropped
    when there is more than one, so every step has the same global batch size.
    """
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(lengths), generator=g).tolist()
    window = batch_size * bucket
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    if len(batches) > 1:
        batches = [b for b in batches if len(b) == batch_size] or batches[:1]
    perm = torch.randperm(len(batches), generator=g).tolist()
    return [batches[i] for i in perm]


class BucketedBatches:
    """``batch_size`` examples of similar ``lengths`` per batch (:func:`epoch_batches`, seeded
    with ``seed + epoch``); the epoch being trained is built once and kept."""

    def __init__(
        self, lengths: Sequence[int], batch_size: int, *, seed: int, rank: int = 0, world: int = 1
    ):
        self.lengths, self.batch_size = list(lengths), min(batch_size, len(lengths))
        self.seed, self.rank, self.world = seed, rank, world
        self._epoch: tuple[int, list[list[int]]] | None = None
        self._count: int | None = None

    def batches(self, epoch: int) -> list[list[int]]:
        """Every global batch of ``epoch``, in training order."""
        if self._epoch is None or self._epoch[0] != epoch:
            built = epoch_batches(self.lengths, self.batch_size, self.seed + epoch)
            self._epoch = (epoch, built)
        return self._epoch[1]

    def count(self, epoch: int) -> int:
        """The same for every epoch (fixed-size windows, whatever the order), so it is counted
        once: asking for it never rebuilds another epoch's batches."""
        if self._count is None:
            self._count = len(self.batches(epoch))
        return self._count

    def rows(self, epoch: int, index: int) -> list[int]:
        return self.batches(epoch)[index][self.rank :: self.world]


def pad_ids(seqs: list[list[int]], pad: int = PAD_ID) -> tuple[Tensor, Tensor]:
    """Id lists -> (ids (B, T) padded with ``pad``, lengths (B,))."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    ids = torch.full((len(seqs), int(lengths.max())), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return ids, lengths
