"""Front ends of a seq2seq run's ``translate`` verb: Moses-style n-best output lines, and the
chat loop (one line in, one reply out)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO

from torch import nn

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


def chat(
    task, model: nn.Module, streams: tuple[TextIO, TextIO], options: TranslateOptions, *, prompt=""
) -> int:
    """One line in, one reply out, until EOF (Ctrl-D) or ``quit``. Empty lines are skipped.
    ``streams`` is (input, output); returns the number of replies."""
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
        stdout.write(reply.text + "\n")
        stdout.flush()
        replies += 1
