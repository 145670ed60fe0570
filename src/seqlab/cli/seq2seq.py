"""``seqlab translate`` and ``seqlab chat``: use a trained seq2seq run."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("translate")(translate)
    app.command("chat")(chat)


def _load(run: Path, which: str):
    from seqlab.errors import SeqlabError
    from seqlab.tasks import load_run

    task, model = load_run(run, which)
    if task.name != "seq2seq":
        raise SeqlabError(f"{run}: a {task.name} run; translate and chat need a seq2seq run")
    return task, model


def translate(
    run: Path = typer.Argument(..., help="Run directory of a seq2seq model."),
    sentence: str = typer.Argument(None, help="Sentence to translate (default: read lines)."),
    input_: Path = typer.Option(None, "--input", help="File of sentences, one per line."),
    beam: int = typer.Option(5, help="Beam size (1 = greedy)."),
    n_best: int = typer.Option(1, "--n-best", help="Hypotheses per sentence (Moses format)."),
    length_penalty: str = typer.Option("gnmt", help="none | avg | gnmt."),
    alpha: float = typer.Option(0.6, help="GNMT length-penalty exponent."),
    on_long: str = typer.Option("truncate", help="Too-long sources: truncate | error."),
    attention_plot: Path = typer.Option(
        None, "--attention-plot", help="Draw SENTENCE's attention heatmap to this PNG."
    ),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    encoding: str = typer.Option("utf-8", help="Encoding of --input."),
) -> None:
    """Translate SENTENCE, the lines of --input, or stdin line by line (one output line per
    input line; an empty line gives an empty line)."""
    from seqlab.data.io import iter_lines
    from seqlab.errors import SeqlabError
    from seqlab.tasks.seq2seq_use import DecodeOptions, plot_attention, translate_lines

    opts = DecodeOptions(beam, n_best, length_penalty, alpha, on_long)
    if sentence is not None and input_ is not None:
        raise SeqlabError("translate: give a SENTENCE or --input FILE, not both")
    task, model = _load(run, which)
    if attention_plot is not None:
        if sentence is None:
            raise SeqlabError("--attention-plot: needs a SENTENCE argument")
        print(plot_attention(task, model, sentence, str(attention_plot), opts))
        print(f"attention plot: {attention_plot}", file=sys.stderr)
        return
    if sentence is not None:
        lines, batch = [sentence], 1
    elif input_ is not None:
        lines, batch = iter_lines(input_, encoding, what="input file"), 32
    else:
        lines, batch = sys.stdin, (1 if sys.stdin.isatty() else 32)
    for out in translate_lines(task, model, lines, opts, batch):
        print(out, flush=True)


def chat(
    run: Path = typer.Argument(..., help="Run directory of a seq2seq (chatbot) model."),
    beam: int = typer.Option(5, help="Beam size (1 = greedy)."),
    length_penalty: str = typer.Option("gnmt", help="none | avg | gnmt."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
) -> None:
    """Talk to a model: one line in, one reply out; Ctrl-D or 'quit' ends."""
    from seqlab.tasks.seq2seq_use import DecodeOptions
    from seqlab.tasks.seq2seq_use import chat as chat_loop

    opts = DecodeOptions(beam, 1, length_penalty)
    task, model = _load(run, which)
    interactive = sys.stdin.isatty()
    if interactive:
        print("type a line and press Enter; Ctrl-D or 'quit' ends", file=sys.stderr)
    chat_loop(task, model, sys.stdin, sys.stdout, opts, prompt="> " if interactive else "")
