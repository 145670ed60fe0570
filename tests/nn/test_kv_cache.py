"""The key/value cache: appending positions and following beams."""

from __future__ import annotations

import torch

from seqlab.nn.kv_cache import KVCache, extend


def _cache(steps: int, start: float = 0.0) -> KVCache:
    keys = torch.arange(3 * 2 * steps * 4, dtype=torch.float32).view(3, 2, steps, 4) + start
    return KVCache(keys, -keys)


def test_extend_appends_positions_after_the_cached_ones():
    first, second = _cache(2), _cache(1, start=100.0)
    assert extend(None, first) is first
    grown = extend(first, second)
    assert grown.length == 3
    assert torch.equal(grown.keys[:, :, :2], first.keys)
    assert torch.equal(grown.values[:, :, 2:], second.values)


def test_select_picks_batch_rows_of_keys_and_values():
    cache = _cache(2)
    picked = cache.select(torch.tensor([2, 0, 2]))
    assert picked.keys.shape == (3, 2, 2, 4)
    assert torch.equal(picked.keys[0], cache.keys[2]) and torch.equal(
        picked.values[1], cache.values[0]
    )
