"""Positions: the sinusoidal formula, learned vectors, offsets for cached steps."""

from __future__ import annotations

import math

import pytest
import torch

from seqlab.nn.positions import build_positions, sinusoidal_table


def test_sinusoidal_table_follows_the_formula():
    table = sinusoidal_table(10, 6)
    t, i = 7, 1  # dimensions 2i and 2i + 1
    angle = t / 10000 ** (2 * i / 6)
    assert table[t, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
    assert table[t, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)
    assert torch.equal(table[0], torch.tensor([0.0, 1.0] * 3))


@pytest.mark.parametrize("kind", ["sinusoidal", "learned"])
def test_positions_add_the_row_of_each_absolute_position(kind):
    positions = build_positions(kind, 8, 4)
    x = torch.randn(2, 3, 4)
    table = positions.table()
    torch.testing.assert_close(positions(x), x + table[:3])
    torch.testing.assert_close(positions(x, offset=5), x + table[5:8])
    per_row = positions(x, offset=torch.tensor([0, 5]))
    torch.testing.assert_close(per_row[1], x[1] + table[5:8])
    torch.testing.assert_close(per_row[0], x[0] + table[:3])
    with pytest.raises(ValueError, match="beyond max_len 8"):
        positions(x, offset=6)
    with pytest.raises(ValueError, match="position 8 is beyond"):
        positions(x, offset=torch.tensor([0, 6]))


def test_only_learned_positions_have_parameters_and_are_saved():
    learned, sinusoidal = build_positions("learned", 8, 4), build_positions("sinusoidal", 8, 4)
    assert sum(p.numel() for p in learned.parameters()) == 8 * 4
    assert list(sinusoidal.parameters()) == [] and sinusoidal.state_dict() == {}


def test_bad_choices_are_rejected():
    with pytest.raises(ValueError, match="sinusoidal, learned"):
        build_positions("rotary", 8, 4)
    with pytest.raises(ValueError, match="even dimension"):
        sinusoidal_table(8, 5)
