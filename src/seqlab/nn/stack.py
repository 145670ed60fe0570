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


class RecurrentShape(NamedTuple):
    """The recurrent core of a model: the cell (rnn | lstm | gru), the token vector size E, the
    hidden size H (per direction), stacked layers, the dropout on embeddings, outputs and
    between layers, the implementation (fused | explicit) and whether it reads both ways."""

    cell: str = "lstm"
    embedding_dim: int = 128
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.0
    impl: str = "fused"
    bidirectional: bool = False


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
    rnn: RecurrentShape,
    *,
    extra_input: int = 0,
    padding_idx: int | None = 0,
    embedding: EmbeddingChoice = EmbeddingChoice(),
) -> tuple[nn.Module, Recurrent]:
    """(embedding module, recurrent stack) for a vocabulary of ``vocab_size`` ids; the stack reads
    the embedding's vectors and ``extra_input`` more features per step."""
    choice, shape = embedding, rnn
    embedding = build_embedding(
        vocab_size,
        shape.embedding_dim,
        kind=choice.kind,
        path=choice.path,
        freeze=choice.freeze,
        trust_pickle=choice.trust_pickle,
        itos=choice.itos,
        padding_idx=padding_idx,
    )
    input_size = getattr(embedding, "embedding_dim", shape.embedding_dim) + extra_input
    stack = Recurrent(
        shape.cell,
        input_size,
        shape.hidden_size,
        shape.num_layers,
        bidirectional=shape.bidirectional,
        dropout=shape.dropout if shape.num_layers > 1 else 0.0,
        impl=shape.impl,
    )
    return embedding, stack
