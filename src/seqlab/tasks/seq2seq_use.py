"""Using a trained seq2seq model: translate lines, chat, plot attention, score files."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from torch import nn

from seqlab.analysis import plots
from seqlab.data.io import iter_lines
from seqlab.decode.search import Hypothesis
from seqlab.errors import SeqlabError
from seqlab.tasks.seq2seq import Seq2SeqTask

ON_LONG = ("truncate", "error")


@dataclass(frozen=True)
class DecodeOptions:
    """beam: 1 = greedy; n_best <= beam; length_penalty none | avg | gnmt (with alpha);
    on_long: truncate (with a warning) or error for sources over the model's limit."""

    beam: int = 5
    n_best: int = 1
    length_penalty: str = "gnmt"
    alpha: float = 0.6
    on_long: str = "truncate"

    def __post_init__(self):
        if self.beam < 1:
            raise SeqlabError(f"--beam: must be >= 1, got {self.beam}")
        if not 1 <= self.n_best <= self.beam:
            raise SeqlabError(f"--n-best: must be in 1..beam ({self.beam}), got {self.n_best}")
        if self.on_long not in ON_LONG:
            raise SeqlabError(f"--on-long: {self.on_long!r}; expected truncate or error")


def source_ids(
    task: Seq2SeqTask, text: str, on_long: str = "truncate", where: str = ""
) -> list[int]:
    """Token ids of one source sentence; unknown words become <unk>, never an error. A source
    over ``data.max_src_len`` tokens is truncated with a warning, or rejected."""
    ids = task.src_ids(text)
    limit = task.config.data.max_src_len
    if limit and len(ids) > limit:
        what = f"{where}source of {len(ids)} tokens is longer than the model's limit of {limit}"
        if on_long == "error":
            raise SeqlabError(f"{what} (data.max_src_len); shorten it or use --on-long truncate")
        print(f"warning: {what}; truncated", file=sys.stderr)
        ids = ids[:limit]
    return ids


def translate_batch(
    task: Seq2SeqTask, model: nn.Module, lines: list[str], opts: DecodeOptions, first: int = 1
) -> list[list[Hypothesis]]:
    """n-best hypotheses per line; an empty line gets one empty hypothesis (alignment kept)."""
    todo = [i for i, line in enumerate(lines) if line.strip()]
    ids = [source_ids(task, lines[i], opts.on_long, f"line {first + i}: ") for i in todo]
    hyps = task.decode(model, ids, opts.beam, opts.n_best, opts.length_penalty, opts.alpha)
    out: list[list[Hypothesis]] = [[Hypothesis([], 0.0)] for _ in lines]
    for i, h in zip(todo, hyps, strict=True):
        out[i] = h
    return out


def translate_lines(
    task: Seq2SeqTask,
    model: nn.Module,
    lines: Iterable[str],
    opts: DecodeOptions,
    batch_size: int = 32,
) -> Iterator[str]:
    """Yield output lines: one translation per input line, or with ``n_best`` > 1 Moses-style
    ``index ||| translation ||| score`` lines (index from 0), so outputs stay aligned."""
    buffer: list[str] = []
    done = 0

    def flush() -> Iterator[str]:
        nonlocal done
        for k, hyps in enumerate(translate_batch(task, model, buffer, opts, done + 1)):
            if opts.n_best == 1:
                yield task.tgt_text(hyps[0].tokens)
            else:
                for h in hyps:
                    yield f"{done + k} ||| {task.tgt_text(h.tokens)} ||| {h.score:.4f}"
        done += len(buffer)
        buffer.clear()

    for line in lines:
        buffer.append(line.rstrip("\r\n"))
        if len(buffer) >= batch_size:
            yield from flush()
    if buffer:
        yield from flush()


def chat(
    task: Seq2SeqTask,
    model: nn.Module,
    stdin: TextIO,
    stdout: TextIO,
    opts: DecodeOptions,
    prompt: str = "",
) -> int:
    """One line in, one reply out, until EOF (Ctrl-D) or ``quit``. Empty lines are skipped.
    Returns the number of replies."""
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
        hyp = translate_batch(task, model, [text], opts)[0][0]
        stdout.write(task.tgt_text(hyp.tokens) + "\n")
        stdout.flush()
        replies += 1


def plot_attention(
    task: Seq2SeqTask, model: nn.Module, sentence: str, path: str, opts: DecodeOptions
) -> str:
    """Translate ``sentence`` and draw its attention (target rows x source columns) to
    ``path`` (PNG). Returns the translation."""
    if not getattr(model, "has_attention", False):
        raise SeqlabError("--attention-plot: this model has no attention (attention: none)")
    if not sentence.strip():
        raise SeqlabError("--attention-plot: needs a non-empty SENTENCE")
    ids = source_ids(task, sentence, opts.on_long)
    hyp = task.decode(model, [ids], opts.beam, 1, opts.length_penalty, opts.alpha, True)[0][0]
    src_labels = task.src_tokens(ids) + ["<eos>"]
    tgt_labels = task.tgt_tokens(hyp.tokens) + (["<eos>"] if hyp.finished else [])
    weights = hyp.attention.float().cpu().numpy()  # (T, S)
    draw_heatmap(weights, src_labels, tgt_labels, path)
    return task.tgt_text(hyp.tokens)


def draw_heatmap(weights, src_labels: list[str], tgt_labels: list[str], path: str) -> None:
    """weights (T, S) as an image: source tokens along x, target tokens along y."""
    plots.save(plots.attention_heatmap(weights, src_labels, tgt_labels), path)


def evaluate_files(
    task: Seq2SeqTask,
    model: nn.Module,
    src: str | None = None,
    ref: str | None = None,
    opts: DecodeOptions | None = None,
    encoding: str = "utf-8",
) -> dict:
    """Translate ``src`` and score it against ``ref``: sacrebleu BLEU and chrF with their
    signatures, and a printable ``report``."""
    import sacrebleu

    if src is None or ref is None:
        raise SeqlabError("evaluate: a seq2seq model needs --src FILE and --ref FILE")
    sources = list(iter_lines(src, encoding, what="source file"))
    refs = list(iter_lines(ref, encoding, what="reference file"))
    if len(sources) != len(refs):
        raise SeqlabError(
            f"{src} has {len(sources):,} lines but {ref} has {len(refs):,}; they must be aligned"
        )
    opts = opts or DecodeOptions(beam=1)
    hyps = list(translate_lines(task, model, sources, opts))
    if task.tgt_tokenizer.to_dict().get("lowercase"):
        refs = [r.lower() for r in refs]
    bleu = sacrebleu.metrics.BLEU()
    chrf = sacrebleu.metrics.CHRF()
    b, c = bleu.corpus_score(hyps, [refs]), chrf.corpus_score(hyps, [refs])
    report = "\n".join(
        [
            f"sentences   {len(sources):,}  (beam {opts.beam})",
            f"BLEU        {b.score:.2f}  {bleu.get_signature()}",
            f"chrF        {c.score:.2f}  {chrf.get_signature()}",
        ]
    )
    return {
        "bleu": b.score,
        "chrf": c.score,
        "sentences": len(sources),
        "bleu_signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
        "report": report,
    }
