"""Token embeddings: ids (B, T) -> vectors (B, T, E), chosen by one config key.

    learned     ``nn.Embedding``: E free parameters per word, trained with the model
    one_hot     word i is the i-th unit vector: E = V, no parameters. Every pair of different
                words has cosine 0, so the model gets no hint that "dog" is like "cat"
    pretrained  ``nn.Embedding`` initialised from word vectors on disk (e.g. Word2Vec) or a
                packaged source (``glove-6b-50d``); words the vectors lack start random.
                ``freeze`` keeps the vectors fixed; without it they are fine-tuned

Every module returned by :func:`build_embedding` has an ``embedding_dim`` attribute: the size of
its output vectors, which the next layer must take as input size.
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.data.vector_lookup import find
from seqlab.data.vocab import SPECIALS
from seqlab.errors import ConfigError, SeqlabError

EMBEDDING_KINDS = ("learned", "one_hot", "pretrained")
#: one-hot vectors for a larger vocabulary are refused: each token would be this many floats
ONE_HOT_MAX_VOCAB = 50_000
#: a one-hot batch (B * T * V floats) larger than this is refused at run time
ONE_HOT_MAX_BATCH_BYTES = 2**30


class OneHotEmbedding(nn.Module):
    """Fixed one-hot vectors, made on the fly with ``F.one_hot``; no parameters.

    The padding id (if any) maps to the zero vector, as ``nn.Embedding``'s padding row starts.
    """

    def __init__(self, num_embeddings: int, padding_idx: int | None = 0):
        super().__init__()
        _check_one_hot_size(num_embeddings)
        self.num_embeddings = num_embeddings
        self.embedding_dim = num_embeddings
        self.padding_idx = padding_idx

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids: (B, T) int64 -> (B, T, V) float."""
        nbytes = ids.numel() * self.num_embeddings * 4
        if nbytes > ONE_HOT_MAX_BATCH_BYTES:
            raise SeqlabError(
                f"one-hot embedding: a batch of {ids.numel():,} tokens x {self.num_embeddings:,} "
                f"vocabulary = {nbytes / 2**30:.1f} GiB of floats; use a smaller batch or "
                "embedding kind 'learned'"
            )
        out = F.one_hot(ids, self.num_embeddings).to(torch.get_default_dtype())  # (B, T, V)
        if self.padding_idx is not None:
            out[..., self.padding_idx] = 0.0  # the pad token's vector is all zeros
        return out

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, padding_idx={self.padding_idx}"


def _check_one_hot_size(vocab_size: int) -> None:
    if vocab_size > ONE_HOT_MAX_VOCAB:
        per_token = vocab_size * 4
        example = 32 * 35 * per_token
        raise SeqlabError(
            f"one-hot embedding of a {vocab_size:,}-word vocabulary: every token would be "
            f"{vocab_size:,} floats ({per_token / 1024:.0f} KiB) and a batch B*T*V floats "
            f"(32 x 35 tokens: {example / 2**20:,.0f} MiB), and the next layer would need "
            f"{vocab_size:,} inputs; the limit is {ONE_HOT_MAX_VOCAB:,} words. Use a smaller "
            "vocabulary (min_freq, max_size) or embedding kind 'learned' or 'pretrained'"
        )


def build_embedding(
    num_embeddings: int,
    embedding_dim: int,
    *,
    kind: str = "learned",
    path: str | None = None,
    freeze: bool = False,
    itos: list[str] | None = None,
    padding_idx: int | None = 0,
    trust_pickle: bool = False,
) -> nn.Module:
    """An embedding module mapping ids (B, T) to (B, T, E), with E as ``module.embedding_dim``.

    ``kind="one_hot"`` ignores ``embedding_dim``: its vectors always have ``num_embeddings``
    entries, so read the size from the returned module. ``kind="pretrained"`` needs the vectors
    file ``path`` and the vocabulary ``itos``; the returned module has ``coverage = (found,
    total)`` over the vocabulary's non-special words. ``freeze`` stops its gradients.
    ``trust_pickle`` lets ``path`` be a gensim ``.kv`` pickle (refused otherwise: it can run code).
    """
    if kind not in EMBEDDING_KINDS:
        raise ConfigError(
            f"unknown embedding kind {kind!r}; expected one of {', '.join(EMBEDDING_KINDS)}"
        )
    if path is not None and kind != "pretrained":
        raise ConfigError(
            f"embedding path {path!r} is only used with kind 'pretrained', not {kind!r}"
        )
    if num_embeddings < 1:
        raise ConfigError(f"embedding: num_embeddings must be at least 1, got {num_embeddings}")
    if kind == "one_hot":
        return OneHotEmbedding(num_embeddings, padding_idx)
    if embedding_dim < 1:
        raise ConfigError(f"embedding: embedding_dim must be at least 1, got {embedding_dim}")
    if kind == "learned":
        emb = nn.Embedding(num_embeddings, embedding_dim, padding_idx=padding_idx)
        emb.weight.requires_grad_(not freeze)
        return emb
    return pretrained_embedding(
        path,
        itos,
        embedding_dim,
        freeze=freeze,
        padding_idx=padding_idx,
        num_embeddings=num_embeddings,
        trust_pickle=trust_pickle,
    )


def pretrained_embedding(
    path: str | None,
    itos: list[str] | None,
    embedding_dim: int,
    *,
    freeze: bool = False,
    padding_idx: int | None = 0,
    num_embeddings: int | None = None,
    trust_pickle: bool = False,
) -> nn.Embedding:
    """``nn.Embedding`` whose rows are the vectors of ``itos`` words found in ``path``.

    ``path`` is a vectors file or a packaged source's name (``glove-6b-50d``). Each word is
    looked up as is, then lowercased, then with its digits turned to 0 (first hit wins; see
    :mod:`seqlab.data.vector_lookup`). Words not found get N(0, s) rows, where s is the standard
    deviation of the loaded vectors, so they sit at the same scale, drawn from torch's global
    generator (which the trainer seeds with ``train.seed``); the padding row is zero. Prints one
    line with the coverage, also kept as ``module.coverage``; ``module.vector_keys`` holds the
    vectors' words (for the coverage of the data, :mod:`seqlab.train.vector_coverage`). A gensim
    ``.kv`` pickle is read only with ``trust_pickle`` (see ``seqlab.data.vectors``).
    """
    kv = _load_checked(path, itos, embedding_dim, num_embeddings, trust_pickle)
    vectors = torch.from_numpy(kv.vectors.astype("float32"))  # (N, E)
    weight = torch.randn(len(itos), embedding_dim) * vectors.std()  # (V, E)
    rows = [find(w, kv.key_to_index) for w in itos]
    for i, row in enumerate(rows):
        if row is not None:
            weight[i] = vectors[row]
    found = sum(row is not None for row, w in zip(rows, itos, strict=True) if w not in SPECIALS)
    total = sum(w not in SPECIALS for w in itos)
    inexact = sum(
        w not in kv.key_to_index for w, row in zip(itos, rows, strict=True) if row is not None
    )
    if padding_idx is not None:
        weight[padding_idx] = 0.0
    emb = nn.Embedding.from_pretrained(weight, freeze=freeze, padding_idx=padding_idx)
    emb.coverage = (found, total)
    emb.lowercase_matches = inexact  # found by the lowercase or the digit-normalised form
    emb.vector_keys = kv.key_to_index
    share = f"{100 * found / total:.1f}%" if total else "n/a"
    print(
        f"pretrained embedding {path}: {found:,} of {total:,} vocabulary words have a vector "
        f"({share}; {inexact:,} by lowercase or digits as 0); the rest start random",
        file=sys.stderr,
    )
    return emb


def _load_checked(
    path: str | None,
    itos: list[str] | None,
    embedding_dim: int,
    num_embeddings: int | None,
    trust_pickle: bool,
):
    """Load the vectors after checking the arguments; their dimension must be embedding_dim."""
    from seqlab.data.vectors import load_vectors  # gensim is slow to import: only here

    if path is None:
        raise ConfigError("embedding kind 'pretrained' needs a vectors file (embedding path)")
    if itos is None:
        raise ConfigError("embedding kind 'pretrained' needs the vocabulary (itos) to match words")
    if num_embeddings is not None and num_embeddings != len(itos):
        raise ConfigError(
            f"embedding: num_embeddings {num_embeddings} != vocabulary size {len(itos)}"
        )
    kv = load_vectors(path, trust_pickle=trust_pickle)
    if kv.vector_size != embedding_dim:
        raise SeqlabError(
            f"{path}: the vectors have dimension {kv.vector_size} but embedding_dim is "
            f"{embedding_dim}; set embedding_dim to {kv.vector_size}"
        )
    return kv
