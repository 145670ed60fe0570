"""``seqlab tensorboard RUN``: TensorBoard on a run's event files, or (``--print``) the one-line
command that starts it.

A run trained with ``train.log_to: [jsonl, tensorboard]`` has its event files in
``RUN/tensorboard``. Any other run is shown from its ``metrics.jsonl`` (the record of every run),
written as scalars to a temporary folder first.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import typer

from seqlab.errors import SeqlabError
from seqlab.train.log_sinks import (
    INSTALL_TENSORBOARD,
    TENSORBOARD_DIR,
    TensorBoardSink,
    tensorboard_installed,
)
from seqlab.train.metrics_log import METRICS_FILE, replay
from seqlab.train.rundir import check_run_dir


def register(app: typer.Typer) -> None:
    app.command("tensorboard")(tensorboard)


def event_folder(run: Path) -> tuple[Path, bool]:
    """The folder of ``run``'s event files, and whether it is a temporary copy written from its
    ``metrics.jsonl`` (a run trained without TensorBoard: scalars only; remove it when done)."""
    run_dir = check_run_dir(run)
    if (run_dir / TENSORBOARD_DIR).is_dir():
        return run_dir / TENSORBOARD_DIR, False
    _check_installed()
    copy = Path(tempfile.mkdtemp(prefix="seqlab-tensorboard-"))
    if not replay(run_dir / METRICS_FILE, TensorBoardSink(copy)):
        shutil.rmtree(copy)
        raise SeqlabError(f"{run_dir}: nothing to show yet ({METRICS_FILE} has no record)")
    return copy / TENSORBOARD_DIR, True


def tensorboard_command(logs: Path, port: int = 6006) -> list[str]:
    """The ``tensorboard`` command line that serves the event files in ``logs`` on ``port``."""
    return ["tensorboard", "--logdir", str(logs), "--port", str(port)]


def _check_installed() -> None:
    if not tensorboard_installed():
        raise SeqlabError(f"tensorboard: the tensorboard package is missing; {INSTALL_TENSORBOARD}")


def tensorboard(
    run: Path = typer.Argument(..., help="Run directory."),
    *,
    port: int = typer.Option(6006, help="Port TensorBoard serves on."),
    print_only: bool = typer.Option(
        False, "--print", help="Print the command that starts TensorBoard instead of running it."
    ),
) -> None:
    """Show a run's curves, sample outputs and attention in TensorBoard (Ctrl-C stops it)."""
    logs, copied = event_folder(run)
    if copied:
        print(f"{run}: no event files; showing its {METRICS_FILE} from {logs}", file=sys.stderr)
    command = tensorboard_command(logs, port)
    if print_only:
        print(shlex.join(command))
        return
    _check_installed()
    print(f"TensorBoard: http://localhost:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    try:  # the tensorboard of this Python environment, whatever PATH holds
        status = subprocess.run([sys.executable, "-m", "tensorboard.main", *command[1:]])
    finally:
        if copied:
            shutil.rmtree(logs.parent, ignore_errors=True)
    raise typer.Exit(status.returncode)
