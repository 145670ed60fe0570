"""``seqlab explain``: the numeric walk-through of a tiny RNN, LSTM or GRU (``--arch recurrent``)
or of one head of causal self-attention (``--arch transformer``) learning "hello"."""

from __future__ import annotations

import json

import typer

from seqlab.analysis import plots
from seqlab.analysis.plot_words import words
from seqlab.api import explain


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_command(
        arch: str = typer.Option("recurrent", "--arch", help="recurrent or transformer."),
        cell: str | None = typer.Option(
            None, "--cell", help="rnn (default), lstm or gru; --arch recurrent only."
        ),
        positions: str | None = typer.Option(
            None, "--positions", help="sinusoidal (default), learned or none; transformer only."
        ),
        text: str = typer.Option("hello", "--text", help="Text to learn (at least 2 chars)."),
        hidden_size: int = typer.Option(
            4, "--hidden-size", help="Size of h_t (d_model for the transformer)."
        ),
        seed: int = typer.Option(0, "--seed", help="Seed of the initial weights."),
        steps: int = typer.Option(100, "--steps", help="Training steps (Adam)."),
        lr: float = typer.Option(0.05, "--lr", help="Adam learning rate."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
        plot: str | None = typer.Option(
            None, "--plot", help="Save a heatmap (PNG) of h_t, or of the attention weights."
        ),
        plot_lang: str = typer.Option(
            "en", "--plot-lang", help="Language of the --plot titles and axis labels: en or ko."
        ),
    ) -> None:
        """Print every term of h_t (or of one attention head) and y_t for each t, train, then
        generate from the first char.

        The numbers come from seqlab.nn (the explicit cells, or the explicit scaled dot-product
        attention of a one-head MultiHeadAttention) run on the model's own parameters.
        """
        words(plot_lang)  # an unknown language fails before the training, not after
        options = {"hidden_size": hidden_size, "seed": seed, "steps": steps, "lr": lr}
        result = explain(text, cell, arch=arch, positions=positions, **options)
        if plot:
            plots.save(result.plot(plot_lang), plot)
        if as_json:
            typer.echo(json.dumps(result.data))
        else:
            typer.echo(str(result))
            if plot:
                what = "a_ts" if result.arch == "transformer" else "h_t"
                typer.echo(f"saved heatmap of {what} to {plot}")
