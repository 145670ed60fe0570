"""Using a trained seq2seq model: translate lines, chat, score files (the verbs of the task).

:class:`Seq2SeqUse` is a mixin of :class:`seqlab.tasks.seq2seq.task.Seq2SeqTask`: its methods
use the task's tokenizers (``src_ids``, ``tgt_text``...) and its batched ``decode``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from torch import nn

from seqlab.data.parallel import read_aligned_lines
from seqlab.decode.search import Hypothesis
from seqlab.decode.strategy import Beam
from seqlab.errors import SeqlabError
from seqlab.tasks.options import EvaluateOptions, Evaluation, TranslateOptions, Translation


class Seq2SeqUse:
    """translate, evaluate: the verbs of a seq2seq run (a mixin of the task)."""

    def encode_source(
        self, text: str, on_long: str = "truncate", where: str = ""
    ) -> tuple[list[int], bool]:
        """Token ids of one source sentence, and whether they were cut. Unknown words become
        <unk>, never an error. A source over ``data.max_src_len`` tokens is truncated with a
        warning, or rejected (``on_long`` error); ``where`` prefixes the message."""
        ids = self.src_ids(text)
        limit = self.config.data.max_src_len
        if not limit or len(ids) <= limit:
            return ids, False
        what = f"{where}source of {len(ids)} tokens is longer than the model's limit of {limit}"
        if on_long == "error":
            raise SeqlabError(f"{what} (data.max_src_len); shorten it or use --on-long truncate")
        print(f"warning: {what}; truncated", file=sys.stderr)
        return ids[:limit], True

    def _translate_batch(
        self, model: nn.Module, lines: list[str], options: TranslateOptions, first: int
    ) -> list[Translation]:
        """Translations of ``lines`` (line numbers from ``first``); an empty line gets one empty
        hypothesis, so outputs stay aligned with inputs."""
        todo = [i for i, line in enumerate(lines) if line.strip()]
        encoded = {
            i: self.encode_source(lines[i], options.on_long, f"line {first + i}: ") for i in todo
        }
        sources = [ids for ids, _ in encoded.values()]
        hyps = self.decode(model, sources, options.strategy, attention=options.attention)
        found = dict(zip(todo, hyps, strict=True))
        out = []
        for i, line in enumerate(lines):
            best = found.get(i, [Hypothesis([], 0.0)])
            src, truncated = encoded.get(i, ([], False))
            out.append(
                Translation(
                    source=line,
                    src_tokens=self.src_tokens(src),
                    hypotheses=best,
                    texts=[self.tgt_text(h.tokens) for h in best],
                    tgt_tokens=[self.tgt_tokens(h.tokens) for h in best],
                    truncated=truncated,
                )
            )
        return out

    def translate(
        self, model: nn.Module, lines: Iterable[str], options: TranslateOptions
    ) -> Iterator[Translation]:
        """One :class:`Translation` per input line, decoded ``options.batch_size`` at a time."""
        buffer: list[str] = []
        done = 0
        for line in lines:
            buffer.append(line.rstrip("\r\n"))
            if len(buffer) >= options.batch_size:
                yield from self._translate_batch(model, buffer, options, done + 1)
                done, buffer = done + len(buffer), []
        if buffer:
            yield from self._translate_batch(model, buffer, options, done + 1)

    def evaluate(self, model: nn.Module, options: EvaluateOptions) -> Evaluation:
        """Translate ``options.src`` and score it against ``options.ref``: sacrebleu BLEU and
        chrF with their signatures."""
        import sacrebleu

        if options.data is not None:
            raise SeqlabError("evaluate: a seq2seq model takes --src FILE --ref FILE, not --data")
        if options.src is None or options.ref is None:
            raise SeqlabError("evaluate: a seq2seq model needs --src FILE and --ref FILE")
        sources, refs = read_aligned_lines(options.src, options.ref, options.encoding, "reference")
        decoding = TranslateOptions(strategy=options.strategy)
        hyps = [t.text for t in self.translate(model, sources, decoding)]
        if self.lowercase_target:
            refs = [r.lower() for r in refs]
        bleu, chrf = sacrebleu.metrics.BLEU(), sacrebleu.metrics.CHRF()
        b, c = bleu.corpus_score(hyps, [refs]), chrf.corpus_score(hyps, [refs])
        size = options.strategy.size if isinstance(options.strategy, Beam) else 1
        report = "\n".join(
            [
                f"sentences   {len(sources):,}  (beam {size})",
                f"BLEU        {b.score:.2f}  {bleu.get_signature()}",
                f"chrF        {c.score:.2f}  {chrf.get_signature()}",
            ]
        )
        metrics = {
            "bleu": b.score,
            "chrf": c.score,
            "sentences": len(sources),
            "bleu_signature": str(bleu.get_signature()),
            "chrf_signature": str(chrf.get_signature()),
        }
        return Evaluation(metrics, report)


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
