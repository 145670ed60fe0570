"""What the model verbs return (other than translations, in :mod:`seqlab.api.translation`):
plain dataclasses that print readably in a terminal and as small tables in a notebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seqlab.api.display import pre, table
from seqlab.tasks.options import ClassPrediction, TagPrediction


@dataclass(frozen=True)
class Generation:
    """``texts``: the samples (or, with beam search, the n best), continuing ``prime`` (lm) or
    made from ``condition`` (condgen); ``text`` is the first."""

    texts: list[str]
    prime: str = ""
    condition: str | None = None

    @property
    def text(self) -> str:
        return self.texts[0]

    def __str__(self) -> str:
        return "\n".join(self.texts)

    def _repr_html_(self) -> str:
        return pre(str(self))


class Label(ClassPrediction):
    """A text's label, that label's probability and every label's probability
    (``as_text()``: the ``label<TAB>probability`` line of ``seqlab predict``)."""

    @classmethod
    def of(cls, p: ClassPrediction) -> Label:
        return cls(p.text, p.label, p.probability, p.probabilities)

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most probable labels with their probabilities, most probable first."""
        return sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:k]

    def __repr__(self) -> str:
        return f"Label({self.text!r}: {self.label!r}, probability={self.probability:.4f})"

    def _repr_html_(self) -> str:
        rows = [(label, f"{p:.4f}") for label, p in self.top()]
        return table(["label", "probability"], rows, caption=self.text)


class Tagging(TagPrediction):
    """A sentence's tokens, one BIO tag per token, and its entity spans (token offsets, ``end``
    exclusive: ``{"type", "start", "end", "text"}``); ``str()`` is ``token/TAG token/TAG ...``."""

    @classmethod
    def of(cls, p: TagPrediction) -> Tagging:
        return cls(p.tokens, p.tags, p.spans)

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return table(["token", "tag"], list(zip(self.tokens, self.tags, strict=True)))


@dataclass(frozen=True)
class Evaluation:
    """``metrics`` (JSON-ready: loss, perplexity, accuracy, F1, BLEU... by task) and ``report``,
    the same text ``seqlab evaluate`` prints."""

    metrics: dict[str, Any]
    report: str = field(repr=False)

    def __str__(self) -> str:
        return self.report

    def _repr_html_(self) -> str:
        return pre(self.report)
