"""Token-budget batches: every example once per epoch, no batch over the budget, a pure function
of (seed, epoch), whole shares for every DDP rank, and a one-line error for a budget too small."""

from __future__ import annotations

import random

import pytest

import seqlab.data.token_batches as module
from seqlab.data.batching import ShuffledBatches
from seqlab.data.token_batches import TokenBatches, cut_pool, token_batches
from seqlab.errors import SeqlabError


def random_sizes(seed: int, n: int = 700, low: int = 1, high: int = 40) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(low, high) for _ in range(n)]


def cost(batch: list[int], sizes: list[int]) -> int:
    return len(batch) * max(sizes[i] for i in batch)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("budget", [40, 130, 1000])
def test_every_example_once_and_no_batch_over_the_budget(seed, budget):
    sizes = random_sizes(seed)
    batches = token_batches(sizes, budget, seed, pool=4)
    rows = sorted(i for b in batches for i in b)
    assert rows == list(range(len(sizes)))
    assert max(cost(b, sizes) for b in batches) <= budget
    if budget >= 20 * max(sizes):  # a batch closes only when the next example would not fit
        assert sum(cost(b, sizes) for b in batches) > 0.9 * budget * len(batches)


def test_a_pure_function_of_the_seed_and_shuffled_between_batches():
    sizes = random_sizes(5)
    a = token_batches(sizes, 200, seed=3)
    assert a == token_batches(sizes, 200, seed=3)
    assert a != token_batches(sizes, 200, seed=4)
    longest = [max(sizes[i] for i in b) for b in a]
    assert longest != sorted(longest)  # short and long batches mixed through the epoch


def test_pools_sort_by_length_so_batches_pad_less_than_random_ones():
    sizes = random_sizes(7, n=2000)
    shuffled = ShuffledBatches(len(sizes), 16, seed=1)
    plans = {"random": shuffled, "tokens": TokenBatches(sizes, 16 * 40, seed=1)}
    padding = {}
    for name, plan in plans.items():
        batches = [plan.rows(0, i) for i in range(plan.count(0))]
        real = sum(sizes[i] for b in batches for i in b)
        padding[name] = 1 - real / sum(cost(b, sizes) for b in batches)
    assert padding["tokens"] < 0.1 < padding["random"]


def test_cut_pool_diagram():
    sizes = [2, 9, 3, 6, 3, 4, 2, 7, 3, 4, 5, 6]  # the module docstring's pool, unsorted
    batches = cut_pool(list(range(len(sizes))), sizes, 14)
    assert [[sizes[i] for i in b] for b in batches] == [
        [2, 2, 3, 3],
        [3, 4, 4],
        [5, 6],
        [6, 7],
        [9],
    ]


@pytest.mark.parametrize("world", [2, 3])
def test_every_rank_gets_a_share_of_the_batches_one_process_trains_on(world):
    sizes = random_sizes(11, n=500)
    budget = world * max(sizes)  # the smallest budget allowed
    plans = [TokenBatches(sizes, budget, seed=9, rank=r, world=world) for r in range(world)]
    alone = TokenBatches(sizes, budget, seed=9)
    for epoch in (0, 1):
        count = plans[0].count(epoch)
        assert all(p.count(epoch) == count for p in plans)
        # the batches of one process, less a last one too small to share out
        assert plans[0].batches(epoch) == alone.batches(epoch)[:count]
        assert count >= alone.count(epoch) - 1
        seen = []
        for index in range(count):
            shares = [p.rows(epoch, index) for p in plans]
            assert all(shares)  # no rank without examples
            whole = plans[0].batches(epoch)[index]
            assert sorted(i for s in shares for i in s) == sorted(whole)
            assert cost(whole, sizes) <= budget
            seen += whole
        assert len(seen) == len(set(seen)) >= len(sizes) - (world - 1)


def test_a_budget_smaller_than_the_longest_example_says_what_to_set():
    sizes = [3, 50, 7]
    with pytest.raises(SeqlabError, match=r"train.batch_tokens: 40 .* at least 50, or x$"):
        TokenBatches(sizes, 40, seed=0, hint=", or x")
    with pytest.raises(SeqlabError, match=r"2 processes x the longest .* at least 100$"):
        TokenBatches(sizes, 60, seed=0, world=2)
    assert TokenBatches(sizes, 50, seed=0).count(0) >= 1


def test_each_epoch_is_built_once(monkeypatch):
    sizes = random_sizes(2)
    plan = TokenBatches(sizes, 100, seed=0)
    built = []
    real = module.token_batches
    monkeypatch.setattr(module, "token_batches", lambda *a, **k: built.append(a) or real(*a, **k))
    for epoch in (0, 1, 2):
        for index in range(plan.count(epoch)):
            plan.rows(epoch, index)
            plan.count(0)  # the schedule asks for epoch 0's length at every step
    assert len(built) == 3
