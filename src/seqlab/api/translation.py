"""What ``Model.translate`` returns: the best output, its n-best list and, when asked, where
each output token looked in the source (the attention weights)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seqlab.analysis import plots
from seqlab.analysis.attention_figure import attention_heatmap
from seqlab.api.display import image, png, table
from seqlab.tasks.options import Translation as TaskTranslation

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Candidate:
    """One hypothesis: its text, its score (log-probability, length-normalised by beam search)
    and its target tokens."""

    text: str
    score: float
    tokens: list[str]


@dataclass(frozen=True)
class Attention:
    """weights (T, S): row t is output token ``target[t]``'s attention over the ``source``
    tokens (each row sums to 1). Shows itself as a heatmap in a notebook."""

    weights: np.ndarray = field(repr=False)
    source: list[str]
    target: list[str]

    def plot(self, title: str | None = None, lang: str = "en") -> plots.Figure:
        """The heatmap (output tokens down, source tokens across) as a matplotlib Figure, its
        title ("attention weights" unless given) and axes labelled in ``lang`` ("en" or "ko")."""
        return attention_heatmap(self.weights, self.source, self.target, title, lang=lang)

    def _repr_png_(self) -> bytes:
        return png(self.plot())


@dataclass(frozen=True)
class Translation:
    """One input line translated: ``text`` is the best output, ``candidates`` the n-best list
    (best first), ``source_tokens`` the tokens the encoder read (after truncation, no <eos>),
    ``attention`` the best candidate's weights when asked for (``attention=True``) and the model
    has attention, else None."""

    source: str
    text: str
    candidates: list[Candidate] = field(repr=False)
    source_tokens: list[str] = field(repr=False)
    attention: Attention | None = field(default=None, repr=False)
    truncated: bool = False

    @classmethod
    def of(cls, result: TaskTranslation) -> Translation:
        """The API's view of a task's translation."""
        candidates = [
            Candidate(text, hyp.score, tokens)
            for text, hyp, tokens in zip(
                result.texts, result.hypotheses, result.tgt_tokens, strict=True
            )
        ]
        best = result.hypotheses[0]
        attention = None
        if best.attention is not None:
            attention = Attention(
                weights=best.attention.float().cpu().numpy(),  # (T, S)
                source=result.src_tokens + ["<eos>"],
                target=result.tgt_tokens[0] + (["<eos>"] if best.finished else []),
            )
        return cls(
            source=result.source,
            text=result.text,
            candidates=candidates,
            source_tokens=result.src_tokens,
            attention=attention,
            truncated=result.truncated,
        )

    def moses(self, index: int) -> list[str]:
        """The n-best list as Moses lines, ``index ||| text ||| score``."""
        return [f"{index} ||| {c.text} ||| {c.score:.4f}" for c in self.candidates]

    def _repr_html_(self) -> str:
        rows = [(c.text, f"{c.score:.4f}") for c in self.candidates]
        out = table(["output", "score"], rows, caption=self.source)
        if self.attention is not None:
            out += image(self.attention._repr_png_())
        return out
