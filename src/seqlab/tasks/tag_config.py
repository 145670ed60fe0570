"""The tagging task's config sections: where the tagged sentences are and how tokens become ids
(``data``), and the tagger's shape (``model``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from seqlab.config import EmbeddingConfig, Fraction, NonNegative, Positive, RecurrentModelConfig
from seqlab.data.conll import SCHEMES, TAG_ENCODINGS
from seqlab.models.tagger import OUTPUTS
from seqlab.nn.char_features import CHAR_FEATURES
from seqlab.tasks.text_data import TextDataConfig


class TagDataConfig(TextDataConfig):
    """Where the tagged sentences are and how tokens become ids.

    train / valid: CoNLL files (see :class:`TextDataConfig`); valid_fraction: held-out
        sentences when there is no valid file.
    token_column / tag_column: 0-based (negative from the end); CoNLL-03 NER is -1.
    scheme: bio | iob1, the files' tag scheme (read as BIO).
    tag_encoding: bio | iobes, the tags the model learns (IOBES marks single-token entities and
        entity ends); predictions are written and scored as BIO either way.
    bad_tags: repair | error, for BIO sequences with an I-X that starts an entity.
    lowercase: fold words for the word vocabulary (characters keep their case).
    normalize_digits: every digit of a word is 0 in the word vocabulary (``1996`` and ``2001``
        share ``0000``); characters keep their digits.
    max_vocab: word vocabulary cut. max_word_length: characters read per word.
    """

    valid: str | None = None
    token_column: int = 0
    tag_column: int = -1
    scheme: Literal[SCHEMES] = "bio"
    bad_tags: Literal["repair", "error"] = "repair"
    tag_encoding: Literal[TAG_ENCODINGS] = "bio"
    normalize_digits: bool = False
    max_vocab: NonNegative = 0
    max_word_length: Positive = 20


class TagModelConfig(RecurrentModelConfig):
    """embedding [+ char features] -> BiLSTM -> linear -> softmax or CRF.

    char_features: none | lstm | cnn. char_hidden_size: per direction (lstm) or filters (cnn).
    case_features: add each word's casing class (all lower, initial upper, all upper, numeric,
        ...; see :mod:`seqlab.nn.case_features`) as a learned ``case_embedding_dim`` vector;
        computed from the characters, so it needs char_features.
    """

    embedding_dim: Positive = 100
    hidden_size: Positive = 200
    dropout: Fraction = 0.5
    bidirectional: bool = True
    output: Literal[OUTPUTS] = "crf"
    char_features: Literal[CHAR_FEATURES] = "none"
    char_embedding_dim: Positive = 25
    char_hidden_size: Positive = 25
    char_kernel_size: Positive = 3
    case_features: bool = False
    case_embedding_dim: Positive = 8
    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)

    @model_validator(mode="after")
    def _case_reads_chars(self) -> TagModelConfig:
        if self.case_features and self.char_features == "none":
            raise ValueError("case_features: needs char_features lstm or cnn (it reads them)")
        return self
