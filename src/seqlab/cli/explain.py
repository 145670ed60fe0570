"""``seqlab explain``: the numeric walk-through of a tiny RNN, LSTM or GRU learning "hello"."""

from __future__ import annotations

import json

import typer

from seqlab.analysis import plots
from seqlab.api import explain


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_command(
        cell: str = typer.Option("rnn", "--cell", help="rnn, lstm or gru."),
        text: str = typer.Option("hello", "--text", help="Text to learn (at least 2 chars)."),
        hidden_size: int = typer.Option(4, "--hidden-size", help="Size of h_t."),
        seed: int = typer.Option(0, "--seed", help="Seed of the initial weights."),
        steps: int = typer.Option(100, "--steps", help="Training steps (Adam)."),
        lr: float = typer.Option(0.05, "--lr", help="Adam learning rate."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
        plot: str | None = typer.Option(None, "--plot", help="Save a heatmap of h_t (PNG)."),
    ) -> None:
        """Print every term of h_t and y_t for each t, train, then generate from the first char.

        The numbers come from seqlab.nn.cells run on a Recurrent layer's own parameters.
        """
        result = explain(
            text=text, cell=cell, hidden_size=hidden_size, seed=seed, steps=steps, lr=lr
        )
        if plot:
            plots.save(result.plot(), plot)
        if as_json:
            typer.echo(json.dumps(result.data))
        else:
            typer.echo(str(result))
            if plot:
                typer.echo(f"saved heatmap of h_t to {plot}")
