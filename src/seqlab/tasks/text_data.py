"""The data section every task's config starts from: where its text is and how it is read.

    train            the training file (or directory, or corpus name)
    valid_fraction   held out for validation when the task has no validation file
    lowercase        fold case before tokenizing (the word vocabulary, for the tagger)
    min_freq         rarer tokens become <unk>
    encoding         of every file read

:class:`TokenizedDataConfig` adds the tokenizer, for the tasks that tokenize running text (all
but the tagger, whose files come as tokens). Each task's section extends one of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from seqlab.config import Fraction, Positive, Section
from seqlab.data.tokenizers import TOKENIZER_KINDS


class TextDataConfig(Section):
    """train: the training data. valid_fraction: held out when there is no validation data.
    lowercase: fold case first. min_freq: rarer tokens are <unk>. encoding: of every file."""

    train: str
    valid_fraction: Fraction = 0.1
    lowercase: bool = False
    min_freq: Positive = 1
    encoding: str = "utf-8"


class TokenizedDataConfig(TextDataConfig):
    """tokenizer: char | word | bpe | unigram (a task may offer fewer).
    decompose_hangul: (char) one token per Hangul jamo instead of per syllable."""

    tokenizer: Literal[TOKENIZER_KINDS] = "char"
    decompose_hangul: bool = False

    @model_validator(mode="after")
    def _hangul_needs_chars(self) -> TokenizedDataConfig:
        if self.decompose_hangul and self.tokenizer != "char":
            raise ValueError(f"decompose_hangul: needs tokenizer 'char', not {self.tokenizer!r}")
        return self
