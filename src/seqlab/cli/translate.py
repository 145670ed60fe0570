"""``seqlab translate`` and ``seqlab chat``: use a trained seq2seq run."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from seqlab.analysis import plots
from seqlab.analysis.plot_words import words
from seqlab.api import Model, load
from seqlab.data.io import iter_lines
from seqlab.decode.limits import LENGTH_PENALTIES, LIMITS
from seqlab.decode.strategy import beam_or_greedy
from seqlab.errors import SeqlabError
from seqlab.tasks.options import TranslateOptions
from seqlab.tasks.seq2seq.use import Fallback
from seqlab.tasks.seq2seq.use import chat as chat_loop


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
    plot_lang: str = typer.Option(
        "en", "--plot-lang", help="Language of the --attention-plot title and axes: en or ko."
    ),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    ensemble: list[Path] = typer.Option(
        None, "--ensemble", help="Another run to ensemble with RUN (same vocabularies); repeat."
    ),
    backend: str = typer.Option(
        "torch", "--backend", help="torch, onnx or onnx-int8 (see seqlab export)."
    ),
    encoding: str = typer.Option("utf-8", help="Encoding of --input."),
) -> None:
    """Translate SENTENCE, the lines of --input, or stdin line by line (one output line per
    input line; an empty line gives an empty line)."""
    strategy = beam_or_greedy(beam, n_best, length_penalty, alpha)
    words(plot_lang)  # an unknown --plot-lang fails before the model loads
    moses = TranslateOptions(strategy=strategy, on_long=on_long).n_best > 1  # checks them too
    if sentence is not None and input_ is not None:
        raise SeqlabError("translate: give a SENTENCE or --input FILE, not both")
    model = load(run, backend, which=which, ensemble=ensemble or ())
    decoding = {"beam": beam, "length_penalty": length_penalty, "alpha": alpha, "on_long": on_long}
    if attention_plot is not None:
        _plot(model, sentence, attention_plot, decoding, lang=plot_lang)
        return
    if sentence is not None:
        lines, batch = [sentence], 1
    elif input_ is not None:
        lines, batch = iter_lines(input_, encoding, what="input file"), 32
    else:
        lines, batch = sys.stdin, (1 if sys.stdin.isatty() else 32)
    translations = model.translations(lines, n_best=n_best, batch_size=batch, **decoding)
    for index, result in enumerate(translations):
        for out in result.moses(index) if moses else [result.text]:
            print(out, flush=True)


def _plot(model: Model, sentence: str | None, path: Path, decoding: dict, *, lang: str) -> None:
    """Translate ``sentence`` and draw its attention (target rows x source columns), labelled in
    ``lang``."""
    if sentence is None:
        raise SeqlabError("--attention-plot: needs a SENTENCE argument")
    if not getattr(model.module, "has_attention", False):
        raise SeqlabError("--attention-plot: this model has no attention (attention: none)")
    if not sentence.strip():
        raise SeqlabError("--attention-plot: needs a non-empty SENTENCE")
    result = model.translate(sentence, attention=True, **decoding)
    plots.save(result.attention.plot(lang=lang), path)
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
    min_score: float = typer.Option(
        None, "--min-score", help="Say --fallback instead of a reply whose beam score is lower."
    ),
    fallback: str = typer.Option(
        None, "--fallback", help="The fixed reply below --min-score (default: I don't know.)."
    ),
) -> None:
    """Talk to a model: one line in, one reply out; Ctrl-D or 'quit' ends."""
    options = TranslateOptions(strategy=beam_or_greedy(beam, 1, length_penalty))
    if fallback is not None and min_score is None:
        raise SeqlabError("--fallback: says its reply below --min-score, which is not given")
    reply = "I don't know." if fallback is None else fallback
    unsure = None if min_score is None else Fallback(reply, min_score)
    model = load(run, backend, which=which)
    interactive = sys.stdin.isatty()
    if interactive:
        print("type a line and press Enter; Ctrl-D or 'quit' ends", file=sys.stderr)
    streams = (sys.stdin, sys.stdout)
    prompt = "> " if interactive else ""
    chat_loop(model.task, model.module, streams, options, prompt=prompt, fallback=unsure)
