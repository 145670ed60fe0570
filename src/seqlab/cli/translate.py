"""``seqlab translate`` and ``seqlab chat``: use a trained seq2seq run."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import typer

from seqlab.analysis import plots
from seqlab.data.io import iter_lines
from seqlab.decode.limits import LENGTH_PENALTIES, LIMITS
from seqlab.decode.strategy import Beam, beam_or_greedy
from seqlab.errors import SeqlabError
from seqlab.tasks import load_run
from seqlab.tasks.options import TranslateOptions
from seqlab.tasks.seq2seq.use import chat as chat_loop
from seqlab.tasks.seq2seq.use import moses_lines


def register(app: typer.Typer) -> None:
    app.command("translate")(translate)
    app.command("chat")(chat)


def translate(
    run: Path = typer.Argument(..., help="Run directory of a seq2seq model."),
    sentence: str = typer.Argument(None, help="Sentence to translate (default: read lines)."),
    *,
    input_: Path = typer.Option(None, "--input", help="File of sentences, one per line."),
    beam: int = typer.Option(5, help=f"Beam size in {LIMITS['beam']} (1 = greedy)."),
    n_best: int = typer.Option(
        1, "--n-best", help="Hypotheses per sentence, at most --beam (Moses format)."
    ),
    length_penalty: str = typer.Option("gnmt", help=" | ".join(LENGTH_PENALTIES) + "."),
    alpha: float = typer.Option(0.6, help=f"GNMT length-penalty exponent in {LIMITS['alpha']}."),
    on_long: str = typer.Option("truncate", help="Too-long sources: truncate | error."),
    attention_plot: Path = typer.Option(
        None, "--attention-plot", help="Draw SENTENCE's attention heatmap to this PNG."
    ),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    backend: str = typer.Option(
        "torch", "--backend", help="torch, onnx or onnx-int8 (see seqlab export)."
    ),
    encoding: str = typer.Option("utf-8", help="Encoding of --input."),
) -> None:
    """Translate SENTENCE, the lines of --input, or stdin line by line (one output line per
    input line; an empty line gives an empty line)."""
    strategy = beam_or_greedy(beam, n_best, length_penalty, alpha)
    options = TranslateOptions(strategy=strategy, on_long=on_long)
    if sentence is not None and input_ is not None:
        raise SeqlabError("translate: give a SENTENCE or --input FILE, not both")
    task, model = load_run(run, which, backend=backend)
    if attention_plot is not None:
        _plot(task, model, sentence, attention_plot, options)
        return
    if sentence is not None:
        lines, batch = [sentence], 1
    elif input_ is not None:
        lines, batch = iter_lines(input_, encoding, what="input file"), 32
    else:
        lines, batch = sys.stdin, (1 if sys.stdin.isatty() else 32)
    options = TranslateOptions(strategy=strategy, on_long=on_long, batch_size=batch)
    for out in moses_lines(task.translate(model, lines, options), options.n_best):
        print(out, flush=True)


def _plot(task, model, sentence: str | None, path: Path, options: TranslateOptions) -> None:
    """Translate ``sentence`` and draw its attention (target rows x source columns)."""
    if sentence is None:
        raise SeqlabError("--attention-plot: needs a SENTENCE argument")
    if not getattr(model, "has_attention", False):
        raise SeqlabError("--attention-plot: this model has no attention (attention: none)")
    if not sentence.strip():
        raise SeqlabError("--attention-plot: needs a non-empty SENTENCE")
    strategy = options.strategy
    if isinstance(strategy, Beam):
        strategy = replace(strategy, n_best=1)
    one = TranslateOptions(strategy=strategy, on_long=options.on_long, attention=True)
    result = next(task.translate(model, [sentence], one))
    hyp = result.hypotheses[0]
    src_labels = result.src_tokens + ["<eos>"]
    tgt_labels = result.tgt_tokens[0] + (["<eos>"] if hyp.finished else [])
    weights = hyp.attention.float().cpu().numpy()  # (T, S)
    plots.save(plots.attention_heatmap(weights, src_labels, tgt_labels), path)
    print(result.text)
    print(f"attention plot: {path}", file=sys.stderr)


def chat(
    run: Path = typer.Argument(..., help="Run directory of a seq2seq (chatbot) model."),
    *,
    beam: int = typer.Option(5, help=f"Beam size in {LIMITS['beam']} (1 = greedy)."),
    length_penalty: str = typer.Option("gnmt", help=" | ".join(LENGTH_PENALTIES) + "."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    backend: str = typer.Option(
        "torch", "--backend", help="torch, onnx or onnx-int8 (see seqlab export)."
    ),
) -> None:
    """Talk to a model: one line in, one reply out; Ctrl-D or 'quit' ends."""
    options = TranslateOptions(strategy=beam_or_greedy(beam, 1, length_penalty))
    task, model = load_run(run, which, backend=backend)
    interactive = sys.stdin.isatty()
    if interactive:
        print("type a line and press Enter; Ctrl-D or 'quit' ends", file=sys.stderr)
    chat_loop(task, model, (sys.stdin, sys.stdout), options, prompt="> " if interactive else "")
