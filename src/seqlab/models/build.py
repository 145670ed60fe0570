"""One builder from a model's arguments to the model: the registry of topologies.

A checkpoint stores its model's constructor arguments (``model_args``), flat; a task builds a
fresh model from its config the same way. Both come here, where the recurrent shape and the
embedding choice are gathered into the two small tuples every model takes::

    build_model("seq2seq", {"src_vocab_size": 8000, "tgt_vocab_size": 8000, ...})

A ``pretrained`` embedding reads its vectors file only when a model is made for training
(``itos`` given). A model rebuilt to receive saved weights gets a learned table of the same
shape instead: the weights already hold the vectors, and the file may be gone.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from seqlab.errors import ConfigError
from seqlab.models.classifier import SequenceClassifier
from seqlab.models.cond_generator import ConditionalGenerator
from seqlab.models.lm import CutoffError, LanguageModel
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.tagger import SequenceTagger
from seqlab.nn.stack import EmbeddingChoice, RecurrentShape

MODELS: dict[str, type[nn.Module]] = {
    "lm": LanguageModel,
    "seq2seq": Seq2Seq,
    "classify": SequenceClassifier,
    "tag": SequenceTagger,
    "condgen": ConditionalGenerator,
}


def build_model(kind: str, args: dict[str, Any], fresh: dict[str, Any] | None = None) -> nn.Module:
    """The ``kind`` model (a key of :data:`MODELS`) made from ``args``.

    ``fresh``: for a model made for training, what a ``pretrained`` embedding needs besides the
    checkpoint's arguments (the vocabulary ``itos``, ``embedding_trust_pickle``); None when the
    model is rebuilt for saved weights.
    """
    if kind not in MODELS:
        raise ConfigError(f"model: {kind!r} is not valid; expected one of {', '.join(MODELS)}")
    if args.get("embedding_kind") == "pretrained":
        if fresh is None:  # the weights already hold the vectors
            args = {**args, "embedding_kind": "learned", "embedding_path": None}
        else:
            args = {**args, **fresh}
    rnn, rest = RecurrentShape.take(args)
    embedding, rest = EmbeddingChoice.take(rest)
    if embedding is not None:
        rest["embedding"] = embedding
    try:
        return MODELS[kind](**rest, rnn=rnn)
    except CutoffError as e:
        raise ConfigError(f"model.{e}") from None
