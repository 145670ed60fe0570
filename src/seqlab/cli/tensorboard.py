"""``seqlab tensorboard RUN``: TensorBoard on the event files of a run trained with
``train.log_to: [jsonl, tensorboard]``, or (``--print``) the one-line command that starts it."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import typer

from seqlab.errors import SeqlabError
from seqlab.train.log_sinks import INSTALL_TENSORBOARD, TENSORBOARD_DIR, tensorboard_installed
from seqlab.train.rundir import check_run_dir


def register(app: typer.Typer) -> None:
    app.command("tensorboard")(tensorboard)


def tensorboard_args(run: Path, port: int = 6006) -> list[str]:
    """The arguments of ``tensorboard`` that show ``run``'s event files on ``port``; a one-line
    error when ``run`` is not a run directory or holds no event files."""
    run_dir = check_run_dir(run)
    logs = run_dir / TENSORBOARD_DIR
    if not logs.is_dir():
        raise SeqlabError(
            f"{run_dir}: no TensorBoard event files ({TENSORBOARD_DIR}/ is missing); train with "
            "train.log_to: [jsonl, tensorboard] to write them (metrics.jsonl holds this run's "
            "metrics)"
        )
    return ["--logdir", str(logs), "--port", str(port)]


def tensorboard(
    run: Path = typer.Argument(..., help="Run directory."),
    *,
    port: int = typer.Option(6006, help="Port TensorBoard serves on."),
    print_only: bool = typer.Option(
        False, "--print", help="Print the command that starts TensorBoard instead of running it."
    ),
) -> None:
    """Show a run's curves, sample outputs and attention in TensorBoard (Ctrl-C stops it)."""
    args = tensorboard_args(run, port)
    if print_only:
        print(shlex.join(["tensorboard", *args]))
        return
    if not tensorboard_installed():
        raise SeqlabError(f"tensorboard: the tensorboard package is missing; {INSTALL_TENSORBOARD}")
    print(f"TensorBoard: http://localhost:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    status = subprocess.run([sys.executable, "-m", "tensorboard.main", *args]).returncode
    raise typer.Exit(status)
