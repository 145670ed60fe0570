"""Typed options and results of the verbs a trained model answers to.

    evaluate   score files                          EvaluateOptions -> Evaluation
    generate   autoregressive text (lm, condgen)    GenerateOptions -> list[str]
    translate  one output per input line (seq2seq)  TranslateOptions -> Translation per line
    predict    a label or tags per line             PredictOptions -> a Prediction per line
               (classify, tag)

Each options object is frozen and checked once, in its constructor; the decoding choice inside
it is a strategy of :mod:`seqlab.decode.strategy`. The CLI and the server build these and call
one method per verb on any task (:class:`seqlab.tasks.base.Task`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seqlab.decode.search import Hypothesis
from seqlab.decode.strategy import Beam, Greedy, Sample, Strategy
from seqlab.errors import SeqlabError

ON_LONG = ("truncate", "error")


@dataclass(frozen=True)
class EvaluateOptions:
    """Files to score: ``data`` (lm, classify, tag), or ``src`` and ``ref`` (seq2seq), read with
    ``encoding``; seq2seq decodes with ``strategy``."""

    data: str | None = None
    src: str | None = None
    ref: str | None = None
    encoding: str = "utf-8"
    strategy: Strategy = field(default_factory=Greedy)


@dataclass
class Evaluation:
    """Metrics (JSON-ready) and the report printed for a person."""

    metrics: dict[str, Any]
    report: str


@dataclass(frozen=True)
class GenerateOptions:
    """prime: text to continue (lm). condition: a class name or ``FILE.npy[:ROW]`` (condgen).
    max_tokens: tokens per sample. n: samples (None: 1 for lm, 10 for condgen)."""

    prime: str = ""
    max_tokens: int = 500
    strategy: Strategy = field(default_factory=lambda: Sample(0.8))
    condition: str | None = None
    n: int | None = None

    def __post_init__(self):
        if self.max_tokens < 0:
            raise SeqlabError(f"max_tokens (--length): must be >= 0, got {self.max_tokens}")
        if self.n is not None and self.n < 1:
            raise SeqlabError(f"n (--n): must be >= 1, got {self.n}")


def shared_decoding(requests: list[GenerateOptions]) -> tuple[Strategy, int]:
    """The strategy and length a batch of generation requests shares (they must agree)."""
    first = requests[0]
    for r in requests[1:]:
        if r.strategy != first.strategy or r.max_tokens != first.max_tokens:
            raise ValueError("generation requests in one batch must share strategy and length")
    return first.strategy, first.max_tokens


def split_rows(rows: list, sizes: list[int]) -> list[list]:
    """Consecutive rows back into one list per request (``sizes`` rows each)."""
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return [rows[start : start + n] for start, n in zip(starts, sizes, strict=True)]


@dataclass(frozen=True)
class TranslateOptions:
    """strategy: greedy or beam. on_long: truncate (with a warning) or error for sources over the
    model's limit. attention: keep each step's weights. batch_size: sentences decoded at once."""

    strategy: Greedy | Beam = field(default_factory=Beam)
    on_long: str = "truncate"
    attention: bool = False
    batch_size: int = 32

    def __post_init__(self):
        if self.on_long not in ON_LONG:
            raise SeqlabError(f"on_long (--on-long): {self.on_long!r}; expected truncate or error")
        if isinstance(self.strategy, Sample):
            raise SeqlabError("translate: sampling is not offered; use greedy or beam search")
        if self.batch_size < 1:
            raise SeqlabError(f"batch_size: must be >= 1, got {self.batch_size}")

    @property
    def n_best(self) -> int:
        return self.strategy.n_best if isinstance(self.strategy, Beam) else 1


@dataclass
class Translation:
    """One input line: its source tokens (after truncation, <eos> not included), whether it was
    truncated, and the n-best hypotheses with their detokenized texts (best first)."""

    source: str
    src_tokens: list[str]
    hypotheses: list[Hypothesis]
    texts: list[str]
    tgt_tokens: list[list[str]]
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.texts[0]


@dataclass(frozen=True)
class PredictOptions:
    """batch_size: inputs scored at once (0 = the run's evaluation batch size)."""

    batch_size: int = 0


@dataclass
class ClassPrediction:
    """A text's label, that label's probability and every class's probability."""

    text: str
    label: str
    probability: float
    probabilities: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "probability": self.probability,
            "probabilities": self.probabilities,
        }

    def as_text(self, spans: bool = False) -> str:
        return f"{self.label}\t{self.probability:.4f}"


@dataclass
class TagPrediction:
    """A sentence's tokens, one BIO tag per token and its entity spans (token offsets,
    ``end`` exclusive)."""

    tokens: list[str]
    tags: list[str]
    spans: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "tags": self.tags, "spans": self.spans}

    def as_text(self, spans: bool = False) -> str:
        """``token/TAG ...``, or with ``spans`` one ``TYPE<TAB>start<TAB>end<TAB>text`` line per
        entity and a blank line after the sentence."""
        if not spans:
            return " ".join(f"{t}/{g}" for t, g in zip(self.tokens, self.tags, strict=True))
        rows = [f"{s['type']}\t{s['start']}\t{s['end']}\t{s['text']}" for s in self.spans]
        return "\n".join(rows) + "\n"
