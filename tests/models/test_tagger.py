"""The tagger and its character features: padding never leaks in; it can overfit."""

from __future__ import annotations

import pytest
import torch

from seqlab.models.tagger import SequenceTagger, lengths_mask
from seqlab.nn.char_features import CharCNNFeatures, CharLSTMFeatures
from seqlab.nn.stack import RecurrentShape


@pytest.mark.parametrize("cls", [CharLSTMFeatures, CharCNNFeatures])
def test_char_features_ignore_char_padding(cls):
    torch.manual_seed(0)
    feats = cls(12, 5, 6).eval()
    word = torch.tensor([[[4, 5, 6]]])  # (B=1, T=1, C=3)
    padded = torch.tensor([[[4, 5, 6, 0, 0, 0], [0, 0, 0, 0, 0, 0]]])  # longer C, a pad word
    a, b = feats(word), feats(padded)
    assert b.shape == (1, 2, feats.output_size)
    torch.testing.assert_close(b[:, :1], a, atol=1e-6, rtol=1e-6)
    assert torch.all(b[0, 1] == 0)


@pytest.mark.parametrize("chars", ["none", "lstm", "cnn"])
def test_batch_equals_one_by_one(chars):
    torch.manual_seed(0)
    model = SequenceTagger(
        20,
        5,
        RecurrentShape(
            cell="lstm",
            embedding_dim=8,
            hidden_size=6,
            num_layers=1,
            dropout=0.0,
            bidirectional=True,
        ),
        output="softmax",
        num_chars=12,
        char_features=chars,
        char_embedding_dim=4,
        char_hidden_size=3,
    ).eval()
    tokens = torch.tensor([[4, 5, 6, 7], [8, 9, 0, 0]])
    char_ids = torch.randint(4, 12, (2, 4, 5))
    char_ids[1, 2:] = 0
    lengths = torch.tensor([4, 2])
    both = model(tokens, lengths, char_ids)
    second = model(tokens[1:, :2], lengths[1:], char_ids[1:, :2, :])
    torch.testing.assert_close(both[1:, :2], second, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("output,chars", [("crf", "cnn"), ("softmax", "lstm")])
def test_overfits_a_few_sentences(output, chars):
    torch.manual_seed(0)
    model = SequenceTagger(
        12,
        4,
        RecurrentShape(
            cell="lstm",
            embedding_dim=16,
            hidden_size=16,
            num_layers=1,
            dropout=0.0,
            bidirectional=True,
        ),
        output=output,
        num_chars=10,
        char_features=chars,
        char_embedding_dim=4,
        char_hidden_size=4,
    )
    tokens = torch.tensor([[4, 5, 6, 7], [8, 9, 10, 0], [11, 4, 0, 0]])
    char_ids = (tokens.unsqueeze(-1) % 10).clamp(min=0).expand(3, 4, 2).contiguous()
    lengths = torch.tensor([4, 3, 2])
    tags = torch.tensor([[1, 2, 0, 3], [0, 1, 2, 0], [3, 0, 0, 0]])
    mask = lengths_mask(lengths, 4)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(60):
        emissions = model(tokens, lengths, char_ids)
        if output == "crf":
            loss = -model.crf(emissions, tags, mask=mask, reduction="mean")
        else:
            loss = torch.nn.functional.cross_entropy(emissions[mask], tags[mask])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    paths = model.decode(model(tokens, lengths, char_ids), lengths)
    assert paths == [row[:n].tolist() for row, n in zip(tags, lengths.tolist(), strict=True)]
