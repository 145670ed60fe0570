"""build_embedding: learned, one-hot and pretrained kinds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

import seqlab.nn.embedding as embedding
from seqlab.data.vectors import save_vectors
from seqlab.errors import SeqlabError
from seqlab.nn.embedding import OneHotEmbedding, build_embedding

ITOS = ["<pad>", "<unk>", "<sos>", "<eos>", "dog", "Cat", "car", "zebra"]


@pytest.fixture
def vectors_file(tmp_path):
    kv = KeyedVectors(4)
    rows = np.arange(12, dtype=np.float32).reshape(3, 4) + 1  # dog, cat, car
    kv.add_vectors(["dog", "cat", "car"], rows * np.array([1, -1, 2, 0.5], dtype=np.float32))
    return save_vectors(kv, tmp_path / "vec.txt"), kv


def test_learned_shapes_and_padding():
    emb = build_embedding(10, 6)
    out = emb(torch.tensor([[0, 3, 9]]))  # (B, T) -> (B, T, E)
    assert out.shape == (1, 3, 6) and emb.embedding_dim == 6
    assert torch.count_nonzero(out[0, 0]) == 0  # padding row
    assert not build_embedding(10, 6, freeze=True).weight.requires_grad


def test_one_hot_is_unit_vectors_without_parameters():
    emb = build_embedding(6, 300, kind="one_hot")  # embedding_dim is ignored: E = V
    assert emb.embedding_dim == 6 and len(list(emb.parameters())) == 0
    ids = torch.tensor([[4, 5, 0], [1, 2, 3]])
    out = emb(ids)  # (2, 3, 6)
    assert out.shape == (2, 3, 6) and out.dtype == torch.get_default_dtype()
    expected = torch.eye(6)[ids]
    expected[0, 2] = 0.0  # the pad token's vector is zero
    assert torch.equal(out, expected)
    flat = out.reshape(-1, 6)[[0, 1, 3]]  # three different non-pad words
    cos = torch.nn.functional.cosine_similarity(flat[:, None], flat[None], dim=-1)
    assert torch.equal(cos, torch.eye(3))  # no notion of similarity


def test_one_hot_refuses_huge_vocabularies_and_batches(monkeypatch):
    with pytest.raises(SeqlabError, match=r"60,000-word vocabulary: every token would be 60,000"):
        build_embedding(60_000, 100, kind="one_hot")
    monkeypatch.setattr(embedding, "ONE_HOT_MAX_BATCH_BYTES", 1000)
    emb = OneHotEmbedding(100)
    emb(torch.zeros(1, 2, dtype=torch.long))  # 800 bytes: fine
    with pytest.raises(SeqlabError, match="a batch of 4 tokens x 100 vocabulary"):
        emb(torch.zeros(2, 2, dtype=torch.long))


def test_pretrained_copies_rows_and_reports_coverage(vectors_file, capsys):
    path, kv = vectors_file
    torch.manual_seed(0)
    emb = build_embedding(len(ITOS), 4, kind="pretrained", path=str(path), itos=ITOS)
    w = emb.weight.detach()
    assert torch.equal(w[4], torch.tensor(kv["dog"]))
    assert torch.equal(w[5], torch.tensor(kv["cat"]))  # "Cat" found by lowercase
    assert torch.equal(w[6], torch.tensor(kv["car"]))
    assert torch.count_nonzero(w[0]) == 0  # padding
    assert not any(torch.equal(w[7], torch.tensor(r)) for r in kv.vectors)  # zebra: random
    assert emb.coverage == (3, 4) and emb.lowercase_matches == 1 and emb.embedding_dim == 4
    assert (
        "3 of 4 vocabulary words have a vector (75.0%; 1 by lowercase or digits as 0)"
        in capsys.readouterr().err
    )


def test_pretrained_random_rows_match_the_scale_of_the_vectors(tmp_path):
    rng = np.random.default_rng(0)
    kv = KeyedVectors(8)
    kv.add_vectors([f"w{i}" for i in range(50)], (rng.normal(size=(50, 8)) * 5).astype(np.float32))
    path = save_vectors(kv, tmp_path / "v.txt")
    itos = ["<pad>", "<unk>", "<sos>", "<eos>"] + [f"new{i}" for i in range(400)]
    emb = build_embedding(len(itos), 8, kind="pretrained", path=str(path), itos=itos)
    assert emb.coverage == (0, 400)
    assert emb.weight[1:].std().item() == pytest.approx(float(kv.vectors.std()), rel=0.1)


def test_freeze_stops_gradients(vectors_file):
    path, _ = vectors_file
    ids = torch.tensor([[4, 5]])
    for freeze in (True, False):
        emb = build_embedding(
            len(ITOS), 4, kind="pretrained", path=str(path), freeze=freeze, itos=ITOS
        )
        head = torch.nn.Linear(4, 1)  # a model always has trainable layers after it
        before = emb.weight.detach().clone()
        opt = torch.optim.SGD([*emb.parameters(), *head.parameters()], lr=1.0)
        head(emb(ids)).sum().backward()
        opt.step()
        assert torch.equal(emb.weight.detach(), before) == freeze
        assert emb.weight.requires_grad != freeze


def test_pretrained_errors(vectors_file):
    path, _ = vectors_file
    with pytest.raises(SeqlabError, match="dimension 4 but embedding_dim is 16"):
        build_embedding(len(ITOS), 16, kind="pretrained", path=str(path), itos=ITOS)
    with pytest.raises(SeqlabError, match="needs a vectors file"):
        build_embedding(len(ITOS), 4, kind="pretrained", itos=ITOS)
    with pytest.raises(SeqlabError, match="needs the vocabulary"):
        build_embedding(len(ITOS), 4, kind="pretrained", path=str(path))
    with pytest.raises(SeqlabError, match="num_embeddings 9 != vocabulary size 8"):
        build_embedding(9, 4, kind="pretrained", path=str(path), itos=ITOS)


def test_unknown_kind_and_stray_path():
    with pytest.raises(SeqlabError, match="expected one of learned, one_hot, pretrained"):
        build_embedding(10, 4, kind="glove")
    with pytest.raises(SeqlabError, match="only used with kind 'pretrained'"):
        build_embedding(10, 4, kind="learned", path="vec.txt")
