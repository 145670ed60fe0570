"""How a word finds its pretrained vector, how much of a text the vectors cover, and the
one-line error for words a caller needs that the vectors lack.

A word is looked up in a fixed order, and the first form found wins:

    1. the word as it is             ``Paris``  ``B52``
    2. its lowercase form            ``paris``  ``b52``
    3. with every digit turned to 0  ``b00`` (of the lowercase form when the vectors have it,
                                     else of the word as it is), as NCRF++ and Lample et al.
                                     (2016) normalise numbers

So cased vectors keep the case they have, lowercased ones such as GloVe still match capitalised
words, and numbers share the vector of their shape (GloVe has ``0000`` for years).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from typing import NamedTuple

from gensim.models import KeyedVectors

from seqlab.errors import SeqlabError

_DIGIT = re.compile(r"\d")


def zero_digits(word: str) -> str:
    """``word`` with every decimal digit (any script) replaced by ``0``."""
    return _DIGIT.sub("0", word)


def candidates(word: str) -> list[str]:
    """The forms of ``word`` to look up, in order, without repeats (see the module docstring)."""
    lower = word.lower()
    out = []
    for form in (word, lower, zero_digits(lower), zero_digits(word)):
        if form not in out:
            out.append(form)
    return out


def find(word: str, keys: Mapping[str, int]) -> int | None:
    """The row of the first form of ``word`` that ``keys`` (word -> row) holds, else None."""
    for form in candidates(word):
        row = keys.get(form)
        if row is not None:
            return row
    return None


def found(word: str, keys: Container[str]) -> bool:
    """Whether some form of ``word`` is in ``keys``."""
    return any(form in keys for form in candidates(word))


class Coverage(NamedTuple):
    """How many tokens (running words) and types (distinct words) of a text have a vector."""

    tokens: int
    total_tokens: int
    types: int
    total_types: int

    @property
    def token_share(self) -> float:
        return self.tokens / self.total_tokens if self.total_tokens else 0.0

    @property
    def type_share(self) -> float:
        return self.types / self.total_types if self.total_types else 0.0

    def line(self) -> str:
        """``97.4% of 12,345 tokens, 90.1% of 3,210 types``."""
        return (
            f"{100 * self.token_share:.1f}% of {self.total_tokens:,} tokens, "
            f"{100 * self.type_share:.1f}% of {self.total_types:,} types"
        )


def coverage(sentences: Iterable[Iterable[str]], keys: Container[str]) -> Coverage:
    """The :class:`Coverage` of ``sentences`` (lists of words) by the vectors' words ``keys``."""
    counts: dict[str, int] = {}
    for sentence in sentences:
        for word in sentence:
            counts[word] = counts.get(word, 0) + 1
    hits = {w for w in counts if found(w, keys)}
    return Coverage(
        tokens=sum(counts[w] for w in hits),
        total_tokens=sum(counts.values()),
        types=len(hits),
        total_types=len(counts),
    )


def word_index(kv: KeyedVectors, word: str) -> int:
    """The row of ``word`` in ``kv``; a missing word is a one-line :class:`SeqlabError`."""
    index = kv.key_to_index.get(word)
    if index is None:
        raise SeqlabError(_missing_message([word], kv))
    return index


def require_words(kv: KeyedVectors, words: Iterable[str]) -> None:
    """Raise one :class:`SeqlabError` naming every word of ``words`` missing from ``kv``."""
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        raise SeqlabError(_missing_message(missing, kv))


def _missing_message(missing: list[str], kv: KeyedVectors) -> str:
    shown = ", ".join(repr(w) for w in missing[:8]) + (" ..." if len(missing) > 8 else "")
    noun = "word is" if len(missing) == 1 else f"{len(missing)} words are"
    hint = ""
    lower = [w.lower() for w in missing if w.lower() in kv.key_to_index and w.lower() != w]
    if lower:
        hint = f"; the vectors do have {lower[0]!r} (lowercase)"
    return f"{noun} not in the vectors ({len(kv.index_to_key)} words): {shown}{hint}"
