"""``seqlab params``: parameter counts per layer, in the Keras and PyTorch conventions."""

from __future__ import annotations

import typer

from seqlab.analysis.params import format_param_table
from seqlab.api import params as count_params


def register(app: typer.Typer) -> None:
    @app.command("params")
    def params(
        source: str = typer.Argument(
            ...,
            metavar="SOURCE",
            help='A layer spec such as "embedding(5000,100) rnn(128) dense(1)", '
            "or a YAML config or run directory.",
        ),
        seq_len: int | None = typer.Option(
            None, "--seq-len", help="Show that this sequence length leaves the count unchanged."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    ) -> None:
        """Count parameters per layer, Keras (one bias per gate) and PyTorch/cuDNN (two)."""
        counted = count_params(source, seq_len=seq_len)
        typer.echo(format_param_table(counted.table, as_json=as_json))
