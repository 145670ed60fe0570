"""Batches under a token budget, cut from length-sorted pools (``train.batch_type: tokens``).

A batch costs what its padded tensors cost: its number of examples times the size of its
longest example. A seq2seq example's size is its longer side (source + <eos>, target + one of
<sos>/<eos>), the count of fairseq's ``--max-tokens`` and of JoeyNMT's ``batch_type: token``:
both sides are padded, and the longer one bounds the work of the batch.

One epoch is a pure function of (seed, epoch)::

    shuffle every example                    (a generator seeded with seed + epoch)
    cut that order into pools of about POOL_BUDGETS budgets' worth of tokens
    sort each pool by size and cut it        a batch takes the next example while
    greedily                                 (examples + 1) x its size <= budget
    shuffle the epoch's batches              (the same generator)

    a pool, sorted:  2 2 3 3 3 4 4 5 6 6 7 9          budget 14
    its batches:     [2 2 3 3] [3 4 4] [5 6] [6 7] [9]
    cost:             4x3=12    3x4=12  2x6   2x7   1x9

Sorting keeps the examples of a batch close in length (little padding); pools keep the batches
random (a pool is a random slice of the data), and the last shuffle mixes short and long
batches through the epoch. A pool's last batch, cut short by the end of the pool rather than by
the budget, is carried into the next pool; the last pool's is the epoch's last batch.

Under DDP a global batch is shared out as ``rows[rank::world]`` (neighbours in length go to
different ranks, so the shares cost about the same), and every rank needs one example at least.
A budget of at least ``world x`` the longest example gives every batch cut by the budget at
least ``world`` examples; only the epoch's last batch can hold fewer, and then it is left out
(under DDP only). The batches themselves never depend on the number of processes, so two
processes train on the batches one process trains on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from seqlab.errors import SeqlabError

#: a pool holds about this many budgets' worth of (unpadded) tokens
POOL_BUDGETS = 100


def cut_pool(rows: list[int], sizes: Sequence[int], budget: int) -> list[list[int]]:
    """``rows`` (example indices) sorted by size and cut greedily into batches of at most
    ``budget`` padded tokens; the last batch holds what is left."""
    batches: list[list[int]] = [[]]
    for i in sorted(rows, key=sizes.__getitem__):  # stable: ties keep the shuffled order
        if batches[-1] and (len(batches[-1]) + 1) * sizes[i] > budget:
            batches.append([])
        batches[-1].append(i)
    return batches


def pools(order: list[int], sizes: Sequence[int], tokens: int) -> Iterator[list[int]]:
    """Consecutive slices of ``order`` holding at least ``tokens`` tokens (the last: the rest)."""
    pool: list[int] = []
    total = 0
    for i in order:
        pool.append(i)
        total += sizes[i]
        if total >= tokens:
            yield pool
            pool, total = [], 0
    if pool:
        yield pool


def token_batches(
    sizes: Sequence[int], budget: int, seed: int, *, pool: int = POOL_BUDGETS
) -> list[list[int]]:
    """One epoch's batches of example indices, each of at most ``budget`` padded tokens, in
    training order; a pure function of ``seed``. The last is the one batch that may be short."""
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(sizes), generator=g).tolist()
    batches: list[list[int]] = []
    left: list[int] = []  # the last pool's last batch, cut short by the pool's end
    for rows in pools(order, sizes, pool * budget):
        batches += cut_pool(left + rows, sizes, budget)
        left = batches.pop()
    perm = torch.randperm(len(batches), generator=g).tolist()
    return [batches[i] for i in perm] + [left]


class TokenBatches:
    """The token-budget plan: global batches of at most ``budget`` padded tokens, shared out
    over ``world`` ranks; ``hint`` ends the message of a budget too small for the data."""

    def __init__(
        self,
        sizes: Sequence[int],
        budget: int,
        *,
        seed: int,
        rank: int = 0,
        world: int = 1,
        hint: str = "",
    ):
        self.sizes, self.budget, self.seed = list(sizes), budget, seed
        self.rank, self.world = rank, world
        check_budget(self.sizes, budget, world, hint)
        self._counts: dict[int, int] = {}
        self._built: dict[int, list[list[int]]] = {}

    def batches(self, epoch: int) -> list[list[int]]:
        """Every global batch of ``epoch``, in training order (the last two epochs asked for are
        kept, so counting epoch 0 while training epoch 5 never rebuilds either at every step)."""
        if epoch not in self._built:
            built = token_batches(self.sizes, self.budget, self.seed + epoch)
            if len(built[-1]) < self.world:  # too few for every rank to get one
                built.pop()
            self._built = {**dict(list(self._built.items())[-1:]), epoch: built}
            self._counts[epoch] = len(built)
        return self._built[epoch]

    def count(self, epoch: int) -> int:
        """Global batches in ``epoch``: it changes a little from epoch to epoch."""
        if epoch not in self._counts:
            self.batches(epoch)
        return self._counts[epoch]

    def rows(self, epoch: int, index: int) -> list[int]:
        return self.batches(epoch)[index][self.rank :: self.world]


def check_budget(sizes: Sequence[int], budget: int, world: int, hint: str = "") -> None:
    """A budget must hold the longest example once for every rank."""
    longest = max(sizes)
    need = longest * world
    if budget < need:
        times = f"{world} processes x " if world > 1 else ""
        raise SeqlabError(
            f"train.batch_tokens: {budget} is less than {times}the longest training example "
            f"({longest} tokens with padding); set train.batch_tokens to at least {need}{hint}"
        )
