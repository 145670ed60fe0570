"""``seqlab train``: train a model from a config, or resume a run."""

from __future__ import annotations

from pathlib import Path

import typer

from seqlab.api import train as api_train
from seqlab.config import parse_overrides


def register(app: typer.Typer) -> None:
    app.command("train")(train)


def train(
    config: Path = typer.Argument(None, help="YAML config (see configs/)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set train.lr=0.002"),
    resume: Path = typer.Option(None, "--resume", help="Continue the run in this directory."),
    force: bool = typer.Option(
        False, "--force", help="Train into a non-empty directory that is not a seqlab run."
    ),
) -> None:
    """Train a model from CONFIG (or resume RUN) into a run directory. Ctrl-C stops after the
    current step, validates and writes the last checkpoint, then exits with status 130."""
    run = api_train(config, parse_overrides(set_), resume=resume, force=force)
    print(run)
    if run.padding is not None:
        print(f"padding: {run.padding:.1%} of the training batches' token positions")
    print(f"run directory: {run.run_dir}")
    if run.reason == "interrupted":  # the checkpoint is written: resume it with --resume
        raise typer.Exit(130)
