"""Front ends of a seq2seq run's ``translate`` verb: Moses-style n-best output lines, and the
chat loop (one line in, one reply out), which may say a fixed fallback reply instead of a
low-scoring one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from torch import nn

from seqlab.errors import SeqlabError
from seqlab.tasks.options import TranslateOptions, Translation


def moses_lines(translations: Iterable[Translation], n_best: int) -> Iterator[str]:
    """Output lines: the best translation per input, or with ``n_best`` > 1 Moses-style
    ``index ||| translation ||| score`` lines (index from 0), so outputs stay aligned."""
    for index, t in enumerate(translations):
        if n_best == 1:
            yield t.text
            continue
        for text, hyp in zip(t.texts, t.hypotheses, strict=True):
            yield f"{index} ||| {text} ||| {hyp.score:.4f}"


@dataclass(frozen=True)
class Fallback:
    """A fixed ``reply`` said instead of the model's own whenever its best hypothesis scores
    below ``min_score``. The score is the one beam search ranks by (the log-probability divided
    by the length penalty), so a threshold holds for one decoding setting: a chatbot trained on a
    small corpus answers a question unlike any of its training questions with some training reply
    all the same, and the low score is the only sign that it is guessing."""

    reply: str
    min_score: float

    def __post_init__(self):
        if not math.isfinite(self.min_score):
            raise SeqlabError(
                f"min_score (--min-score): must be a finite number, not {self.min_score}"
            )
        if not self.reply.strip():
            raise SeqlabError("fallback (--fallback): the reply must not be empty")

    def falls_back(self, translation: Translation) -> bool:
        """Whether the best hypothesis scores below the threshold (an empty n-best list does)."""
        best = translation.hypotheses[:1]
        return not best or best[0].score < self.min_score

    def reply_to(self, translation: Translation) -> str:
        return self.reply if self.falls_back(translation) else translation.text


def chat(
    task,
    model: nn.Module,
    streams: tuple[TextIO, TextIO],
    options: TranslateOptions,
    *,
    prompt="",
    fallback: Fallback | None = None,
) -> int:
    """One line in, one reply out, until EOF (Ctrl-D) or ``quit``. Empty lines are skipped.
    ``streams`` is (input, output); with a ``fallback``, a reply scoring below its threshold is
    replaced by its fixed reply. Returns the number of replies."""
    stdin, stdout = streams
    replies = 0
    while True:
        if prompt:
            stdout.write(prompt)
            stdout.flush()
        line = stdin.readline()
        if not line:  # EOF
            if prompt:
                stdout.write("\n")
            return replies
        text = line.strip()
        if text.lower() in ("quit", "exit"):
            return replies
        if not text:
            continue
        reply = next(task.translate(model, [text], options))
        stdout.write((fallback.reply_to(reply) if fallback else reply.text) + "\n")
        stdout.flush()
        replies += 1
