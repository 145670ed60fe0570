"""``seqlab train``: train a model from a config, or resume a run."""

from __future__ import annotations

from pathlib import Path

import typer

from seqlab.config import parse_overrides
from seqlab.tasks.run import train as run_train


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
    summary = run_train(config, parse_overrides(set_), resume, force=force)
    metrics = " ".join(f"{k}={v:.4g}" for k, v in summary["metrics"].items())
    print(f"done ({summary['reason']}) at step {summary['step']}: {metrics}")
    if summary.get("padding") is not None:
        print(f"padding: {summary['padding']:.1%} of the training batches' token positions")
    print(f"run directory: {summary['run_dir']}")
    if summary["reason"] == "interrupted":  # the checkpoint is written: resume it with --resume
        raise typer.Exit(130)
