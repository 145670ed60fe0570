"""``seqlab average RUN (--last N | --checkpoints C ...) --out RUN2``: a run whose weights are
the mean of N checkpoints.

    seqlab train cfg.yaml --set train.keep_checkpoints=5 --set train.eval_every=500
    seqlab average runs/nmt --last 5 --out runs/nmt-avg5
    seqlab translate runs/nmt-avg5 "a sentence"

RUN2 gets RUN's config (its ``out_dir`` set to RUN2), tokenizers and vocabularies, and one
checkpoint, ``checkpoints/last``, so every command that loads a run loads it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from seqlab.errors import SeqlabError
from seqlab.tasks import load_run_config
from seqlab.tasks.artifacts import check_same_vocabularies
from seqlab.train.average import write_average
from seqlab.train.kept import step_checkpoints
from seqlab.train.rundir import CONFIG_FILE, RunLock, check_run_dir, save_run_config


def register(app: typer.Typer) -> None:
    app.command("average")(average)


def average(
    run: Path = typer.Argument(..., help="Run directory."),
    *,
    out: Path = typer.Option(..., "--out", help="The new run directory (must not exist)."),
    last: int = typer.Option(
        0, "--last", min=0, help="Average the last N step checkpoints (train.keep_checkpoints)."
    ),
    checkpoints: list[str] = typer.Option(
        None,
        "--checkpoints",
        help="A checkpoint to average: a name under RUN/checkpoints (step-00000500, best, last) "
        "or a checkpoint directory of a run with the same vocabularies; repeat for each.",
    ),
) -> None:
    """Write a run whose weights are the mean of N checkpoints of RUN (summed in float64, in
    step order, so the result is reproducible bit for bit)."""
    run = check_run_dir(run)
    if out.exists():
        raise SeqlabError(f"{out}: --out already exists; choose a new directory")
    paths = _chosen(run, last, checkpoints or [])
    for other in {path.parent.parent for path in paths} - {run}:  # each other run once
        check_same_vocabularies(run, other)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for file in run.iterdir():
        if file.is_file() and file.name not in (RunLock.NAME, CONFIG_FILE):
            shutil.copy2(file, tmp / file.name)
    config = load_run_config(run / CONFIG_FILE)
    save_run_config(config.model_copy(update={"out_dir": str(out)}), tmp / CONFIG_FILE)
    (tmp / "checkpoints").mkdir()
    write_average(paths, tmp / "checkpoints" / "last")
    tmp.rename(out)
    print(f"averaged {len(paths)} checkpoints of {run} into {out}")


def _chosen(run: Path, last: int, names: list[str]) -> list[Path]:
    """The checkpoint directories that ``--last`` or ``--checkpoints`` name, in order."""
    if bool(last) == bool(names):
        raise SeqlabError("average: give either --last N or --checkpoints (one or more)")
    if last:
        kept = step_checkpoints(run / "checkpoints")
        if len(kept) < last:
            raise SeqlabError(
                f"{run}: --last {last} needs {last} step checkpoints, but the run kept "
                f"{len(kept)}; train with train.keep_checkpoints: {last} (and eval_every), or "
                "average fewer"
            )
        return kept[-last:]
    paths = []
    for name in names:
        path = run / "checkpoints" / name
        path = path if path.is_dir() else Path(name)
        if not path.is_dir():
            raise SeqlabError(f"{path}: --checkpoints: no such checkpoint directory")
        check_run_dir(path.parent.parent)
        paths.append(path)
    return paths
