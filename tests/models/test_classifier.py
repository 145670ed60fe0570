"""The many-to-one classifier: pooling reads valid positions only; it can overfit."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqlab.models.classifier import SequenceClassifier
from seqlab.nn.stack import RecurrentShape


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_padding_never_changes_the_output(pooling, bidirectional, cell):
    torch.manual_seed(0)
    model = SequenceClassifier(
        20,
        3,
        RecurrentShape(
            cell=cell,
            embedding_dim=8,
            hidden_size=6,
            num_layers=2,
            dropout=0.0,
            bidirectional=bidirectional,
        ),
        pooling=pooling,
    ).eval()
    seqs = [[4, 5, 6, 7, 8], [9, 10], [11, 12, 13]]
    alone = torch.cat([model(torch.tensor([s]), torch.tensor([len(s)])) for s in seqs])
    lengths = torch.tensor([len(s) for s in seqs])
    for pad in (0, 19):  # whatever sits in the padded positions must not leak into the output
        batch = torch.full((3, 9), pad, dtype=torch.long)  # pads beyond the longest, too
        for i, s in enumerate(seqs):
            batch[i, : len(s)] = torch.tensor(s)
        padded = model(batch, lengths)
        assert padded.shape == (3, 3)
        torch.testing.assert_close(padded, alone, atol=1e-5, rtol=1e-5)


def test_explicit_and_fused_agree():
    torch.manual_seed(0)
    model = SequenceClassifier(
        20,
        2,
        RecurrentShape(
            cell="lstm",
            embedding_dim=8,
            hidden_size=6,
            num_layers=1,
            dropout=0.0,
            bidirectional=True,
        ),
        pooling="mean",
    )
    model.eval()
    tokens = torch.randint(4, 20, (4, 7))
    lengths = torch.tensor([7, 3, 1, 5])
    fused = model(tokens, lengths)
    model.rnn.impl = "explicit"
    torch.testing.assert_close(model(tokens, lengths), fused, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pooling", ["last", "max"])
def test_overfits_a_few_examples(pooling):
    torch.manual_seed(0)
    model = SequenceClassifier(
        12,
        3,
        RecurrentShape(
            cell="lstm",
            embedding_dim=16,
            hidden_size=16,
            num_layers=1,
            dropout=0.0,
            bidirectional=True,
        ),
        pooling=pooling,
    )
    tokens = torch.tensor([[4, 5, 6, 0], [7, 8, 0, 0], [9, 10, 11, 4], [5, 4, 0, 0]])
    lengths = torch.tensor([3, 2, 4, 2])
    targets = torch.tensor([0, 1, 2, 1])
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(80):
        loss = F.cross_entropy(model(tokens, lengths), targets)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 < first
    assert model(tokens, lengths).argmax(-1).tolist() == targets.tolist()
