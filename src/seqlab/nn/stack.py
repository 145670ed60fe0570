"""The front of every seqlab model: an embedding, then a :class:`Recurrent` layer stack.

    ids (B, T) --embedding--> (B, T, E) [; extra features (B, T, X)] --Recurrent--> (B, T, D*H)

The recurrent layer's input size is the embedding's output size (a one-hot embedding's is the
vocabulary size) plus ``extra_input`` features the model concatenates itself (character
features, a condition vector, an attention context). Dropout between stacked layers applies only
when there are several layers (torch warns otherwise).
"""

from __future__ import annotations

from typing import NamedTuple

from torch import nn

from seqlab.nn.embedding import build_embedding
from seqlab.nn.recurrent import Recurrent


class EmbeddingChoice(NamedTuple):
    """Which embedding a model uses (see :func:`seqlab.nn.embedding.build_embedding`): its kind,
    the vectors file and vocabulary of a ``pretrained`` one, whether it is frozen, and whether a
    pickled vectors file may be read."""

    kind: str = "learned"
    path: str | None = None
    freeze: bool = False
    trust_pickle: bool = False
    itos: list[str] | None = None


def embed_and_recur(
    vocab_size: int,
    *,
    embedding_dim: int,
    hidden_size: int,
    num_layers: int = 1,
    cell: str = "lstm",
    bidirectional: bool = False,
    dropout: float = 0.0,
    impl: str = "fused",
    extra_input: int = 0,
    padding_idx: int | None = 0,
    embedding: EmbeddingChoice = EmbeddingChoice(),
) -> tuple[nn.Module, Recurrent]:
    """(embedding module, recurrent stack) for a vocabulary of ``vocab_size`` ids; ``dropout``
    is the dropout between stacked recurrent layers."""
    choice = embedding
    embedding = build_embedding(
        vocab_size,
        embedding_dim,
        kind=choice.kind,
        path=choice.path,
        freeze=choice.freeze,
        trust_pickle=choice.trust_pickle,
        itos=choice.itos,
        padding_idx=padding_idx,
    )
    input_size = getattr(embedding, "embedding_dim", embedding_dim) + extra_input
    rnn = Recurrent(
        cell,
        input_size,
        hidden_size,
        num_layers,
        bidirectional=bidirectional,
        dropout=dropout if num_layers > 1 else 0.0,
        impl=impl,
    )
    return embedding, rnn
