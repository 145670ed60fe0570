"""``seqlab --version``: the versions of seqlab, torch and onnxruntime (read from the installed
packages' metadata, so nothing heavy is imported)."""

from __future__ import annotations

from importlib import metadata

import typer

from seqlab import __version__

#: the packages whose versions a bug report needs, beside seqlab's
PACKAGES = ("torch", "onnxruntime")


def versions() -> str:
    """``seqlab 0.1.0``, ``torch 2.13.0``, ``onnxruntime 1.32.0`` (or ``not installed``)."""
    lines = [f"seqlab {__version__}"]
    for name in PACKAGES:
        try:
            lines.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{name} not installed")
    return "\n".join(lines)


def _print_versions(value: bool) -> None:
    if value:
        typer.echo(versions())
        raise typer.Exit()


def register(app: typer.Typer) -> None:
    @app.callback()
    def options(
        version: bool = typer.Option(
            False,
            "--version",
            is_eager=True,
            callback=_print_versions,
            help="Print the versions of seqlab, torch and onnxruntime, and exit.",
        ),
    ) -> None:
        """Recurrent sequence models: train, evaluate, generate, explain."""
