"""``seqlab diagnose``: measure why plain RNNs forget (gradients) and show it (adding problem)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seqlab.analysis import bottleneck
from seqlab.analysis.adding import (
    format_table,
    parse_cells,
    parse_ints,
    plot_adding,
    run_grid,
    summarize,
)
from seqlab.analysis.gradients import diagnose_gradients, format_report, plot_gradients
from seqlab.analysis.input_gradients import MODELS
from seqlab.decode.strategy import beam_or_greedy
from seqlab.errors import SeqlabError
from seqlab.tasks import load_run
from seqlab.tasks.options import TranslateOptions

diagnose_app = typer.Typer(
    no_args_is_help=True,
    help="Diagnose recurrent models: vanishing/exploding gradients, the long-lag adding "
    "problem, the context-vector bottleneck.",
)


@diagnose_app.command("gradients")
def gradients_command(
    *,
    cells: str = typer.Option(
        "rnn,lstm,gru", "--cells", help="Comma-separated: rnn,lstm,gru,transformer."
    ),
    length: int = typer.Option(100, "--length", help="Sequence length T; the loss is at T-1."),
    hidden_size: int = typer.Option(64, "--hidden-size", help="Size of h_t."),
    seed: int = typer.Option(0, "--seed", help="Seed of weights, windows and training."),
    train_steps: int = typer.Option(
        200, "--train-steps", help="Char-LM training steps before the second measurement (0: skip)."
    ),
    text: str | None = typer.Option(
        None, "--text", help="Training text (default: ../shared/data/tinyshakespeare/input.txt)."
    ),
    radius: float = typer.Option(1.1, "--radius", help="Spectral radius of the exploding W_h."),
    plot: str | None = typer.Option(None, "--plot", help="Save the log-scale plot (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """||dL/dx_t|| for every t, loss at the last step: at init, after training, exploding."""
    result = diagnose_gradients(
        parse_cells(cells, MODELS),
        length=length,
        hidden_size=hidden_size,
        seed=seed,
        train_steps=train_steps,
        text=text,
        radius=radius,
    )
    if plot:
        plot_gradients(result, plot)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(format_report(result))
    if plot:
        typer.echo(f"saved plot to {plot}")


@diagnose_app.command("adding")
def adding_command(
    *,
    cells: str = typer.Option("rnn,lstm,gru", "--cells", help="Comma-separated: rnn,lstm,gru."),
    lengths: str = typer.Option("10,50,100,200", "--lengths", help="Sequence lengths T."),
    steps: int = typer.Option(1000, "--steps", help="Adam steps per run (fresh batch each)."),
    hidden_size: int = typer.Option(64, "--hidden-size", help="Size of h_t, same for all."),
    batch_size: int = typer.Option(32, "--batch-size", help="Sequences per step."),
    lr: float = typer.Option(1e-2, "--lr", help="Adam learning rate."),
    clip: float = typer.Option(1.0, "--clip", help="Max gradient norm (0: no clipping)."),
    forget_bias: float = typer.Option(
        3.0, "--forget-bias", help="Initial LSTM forget-gate bias (chrono-style, ~log T)."
    ),
    seeds: str = typer.Option("0", "--seeds", help="Comma-separated seeds; one run each."),
    test_size: int = typer.Option(1000, "--test-size", help="Sequences in the fixed test set."),
    plot: str | None = typer.Option(None, "--plot", help="Save MSE against T (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The adding problem: test MSE per cell and T against the predict-1.0 baseline (~0.167)."""
    results = run_grid(
        parse_cells(cells),
        parse_ints(lengths, "--lengths", minimum=2),
        parse_ints(seeds, "--seeds", minimum=0),
        log=None if as_json else _log_run,
        hidden_size=hidden_size,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        clip=clip,
        forget_bias=forget_bias,
        test_size=test_size,
    )
    rows = summarize(results)
    if plot:
        plot_adding(rows, plot)
    if as_json:
        typer.echo(json.dumps({"runs": results, "summary": rows}))
        return
    typer.echo(format_table(rows))
    if plot:
        typer.echo(f"saved plot to {plot}")


@diagnose_app.command("bottleneck")
def bottleneck_command(
    runs: list[str] = typer.Argument(..., help="Two or more seq2seq run directories."),
    *,
    src: str = typer.Option(..., "--src", help="Source sentences, one per line."),
    ref: str = typer.Option(..., "--ref", help="Reference translations, aligned with --src."),
    beam: int = typer.Option(1, "--beam", help="Beam size (1 = greedy)."),
    plot: str | None = typer.Option(None, "--plot", help="Save BLEU against length (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """BLEU per source-length bucket for each model: does a fixed context vector hold up?"""
    if len(runs) < 2:
        raise SeqlabError("diagnose bottleneck: give two or more seq2seq run directories")
    systems = [_system(run, beam) for run in runs]  # a wrong run fails before any decoding
    result = bottleneck.bleu_by_length(systems, src, ref, beam=beam)
    if plot:
        bottleneck.plot(result, plot)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(bottleneck.format_table(result))
    if plot:
        typer.echo(f"saved plot to {plot}")


def _system(run: str, beam: int) -> bottleneck.System:
    """A seq2seq run as a system under test, decoding with ``beam``."""
    task, model = load_run(run, "best")
    if not task.offers("translate"):
        raise SeqlabError(
            f"{run}: a {task.name!r} run; diagnose bottleneck compares seq2seq runs only"
        )
    options = TranslateOptions(strategy=beam_or_greedy(beam))

    def translate(lines: list[str]) -> list[str]:
        return [t.text for t in task.translate(model, lines, options)]

    m = task.config.model
    name = f"{Path(run).name} ({'transformer' if m.arch == 'transformer' else m.attention})"
    return bottleneck.System(name, translate, task.lowercase_target, str(run))


def _log_run(r: dict) -> None:
    typer.echo(
        f"T={r['length']} {r['cell']} seed {r['seed']}: test MSE {r['test_mse']:.4f} "
        f"(baseline {r['baseline_mse']:.4f}, {r['seconds']:.1f} s)",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(diagnose_app, name="diagnose")
