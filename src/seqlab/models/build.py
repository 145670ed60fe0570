"""From config sections to the two small tuples every model constructor takes.

Each task maps its model section to its model's constructor, explicitly (``make_model`` in
``seqlab.tasks``); the parts every model shares, the recurrent core and the embedding choice,
are made here from their sections, so no model ever reads a config::

    LanguageModel(len(vocab), recurrent_shape(m), embedding=embedding_choice(m.embedding, itos))

A ``pretrained`` embedding reads its vectors file only when a model is made for training
(``itos`` given). A model rebuilt to receive saved weights gets a learned table of the same
shape instead: the weights already hold the vectors, and the file may be gone.
"""

from __future__ import annotations

from seqlab.config import EmbeddingConfig, RecurrentModelConfig, TransformerFields
from seqlab.nn.stack import EmbeddingChoice, RecurrentShape
from seqlab.nn.transformer_block import BlockShape


def recurrent_shape(config: RecurrentModelConfig, *, bidirectional: bool = False) -> RecurrentShape:
    """The recurrent core a model section describes (``bidirectional``: the model's own)."""
    core = config.model_dump(include=set(RecurrentShape._fields) - {"bidirectional"})
    return RecurrentShape(**core, bidirectional=bidirectional)


def embedding_choice(config: EmbeddingConfig, itos: list[str] | None) -> EmbeddingChoice:
    """The embedding an ``embedding`` section describes, for a model made for training
    (``itos``: the vocabulary its vectors are matched to) or rebuilt for saved weights (None)."""
    if config.kind == "pretrained" and itos is None:  # the weights already hold the vectors
        return EmbeddingChoice("learned", None, config.freeze)
    return EmbeddingChoice(config.kind, config.path, config.freeze, config.trust_pickle, itos)


def block_shape(config: TransformerFields) -> BlockShape:
    """The sizes of every Transformer block a model section (``arch: transformer``) describes."""
    return BlockShape(
        d_model=config.embedding_dim,
        num_heads=config.num_heads,
        dim_feedforward=config.feedforward_size,
        dropout=config.dropout,
        activation=config.activation,
        impl=config.impl,
    )
