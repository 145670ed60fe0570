"""The conditional generator: step equals forward; the condition changes the output."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.data.names import load_features
from seqlab.errors import SeqlabError
from seqlab.models.cond_generator import ConditionalGenerator
from seqlab.nn.stack import RecurrentShape


@pytest.mark.parametrize("cell,every", [("gru", True), ("lstm", False), ("lstm", True)])
def test_step_by_step_equals_forward(cell, every):
    torch.manual_seed(0)
    model = ConditionalGenerator(
        12,
        RecurrentShape(cell=cell, embedding_dim=6, hidden_size=8, num_layers=2, dropout=0.0),
        num_classes=3,
        condition_dim=5,
        condition_every_step=every,
    ).eval()
    tokens = torch.tensor([[2, 5, 6, 7], [2, 8, 9, 4]])
    cond = torch.tensor([0, 2])
    full = model(tokens, cond)  # (B, T, V)
    state = model.start(cond)
    for t in range(tokens.shape[1]):
        logits, state = model.step(tokens[:, t], state)
        torch.testing.assert_close(logits, full[:, t], atol=1e-5, rtol=1e-5)


def test_condition_changes_the_output_and_features_work():
    torch.manual_seed(0)
    model = ConditionalGenerator(
        10,
        RecurrentShape(cell="gru", embedding_dim=32, hidden_size=8, num_layers=1, dropout=0.0),
        feature_size=4,
    ).eval()
    tokens = torch.tensor([[2, 5, 6]] * 2)
    out = model(tokens, torch.randn(2, 4))
    assert out.shape == (2, 3, 10)
    assert not torch.allclose(out[0], out[1])
    with pytest.raises(ValueError, match="exactly one"):
        ConditionalGenerator(
            10,
            RecurrentShape(
                cell="gru", embedding_dim=32, hidden_size=128, num_layers=1, dropout=0.1
            ),
            num_classes=2,
            feature_size=4,
        )


def test_overfits_two_classes():
    torch.manual_seed(0)
    model = ConditionalGenerator(
        10,
        RecurrentShape(cell="gru", embedding_dim=8, hidden_size=16, num_layers=1, dropout=0.0),
        num_classes=2,
    )
    inputs = torch.tensor([[2, 4, 5, 6], [2, 7, 8, 9]])
    targets = torch.tensor([[4, 5, 6, 3], [7, 8, 9, 3]])
    cond = torch.tensor([0, 1])
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(
            model(inputs, cond).flatten(0, 1), targets.flatten()
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05


def test_feature_row_count_mismatch_names_both_counts(tmp_path):
    path = tmp_path / "f.npy"
    np.save(path, np.zeros((3, 4), dtype=np.float32))
    assert load_features(str(path), 3).shape == (3, 4)
    with pytest.raises(SeqlabError, match=r"f.npy: 3 feature rows but caps.txt has 5 lines"):
        load_features(str(path), 5, "caps.txt")
    np.save(path, np.zeros(3))
    with pytest.raises(SeqlabError, match="expected a 2-D numeric matrix"):
        load_features(str(path))
