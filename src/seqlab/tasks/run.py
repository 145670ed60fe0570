"""Start or resume a training run in a run directory (see :mod:`seqlab.train.rundir`): resolve
the config, prepare the task's data, then hand both to the trainer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.errors import SeqlabError
from seqlab.tasks import load_run_config, task_class
from seqlab.train import checkpoint as ckpt
from seqlab.train import distributed as ddp
from seqlab.train.rundir import check_run_dir, save_run_config
from seqlab.train.trainer import Trainer, check_precision


def train(
    config_path: str | Path | None = None,
    overrides: dict | None = None,
    resume: str | Path | None = None,
    on_step=None,
) -> dict[str, Any]:
    """Train from a config file, or resume the run in directory ``resume``."""
    if resume is not None:
        run_dir = check_run_dir(resume)
        ckpt.read_meta(run_dir / "checkpoints" / "last")  # fail early on a missing/corrupt one
        ckpt.load_trainer_tensors(run_dir / "checkpoints" / "last")
        config = load_run_config(run_dir / "config.yaml", overrides)
    else:
        if config_path is None:
            raise SeqlabError("train: give a CONFIG file, or --resume RUN")
        config = load_run_config(config_path, overrides)
        run_dir = Path(config.out_dir)
        if (run_dir / "checkpoints").exists():
            raise SeqlabError(
                f"{run_dir}: already holds a run; resume it with --resume {run_dir} "
                f"or choose another out_dir (--set out_dir=...)"
            )
    device = ddp.local_device(config.train.device)
    check_precision(config.train.precision, device)  # before any data is read
    rank, world_size = ddp.init(device)
    if config.train.batch_size % world_size:
        raise SeqlabError(
            f"train.batch_size: {config.train.batch_size} is not divisible "
            f"by {world_size} processes"
        )
    task = task_class(config.task)(config, rank, world_size)
    try:
        if rank == 0:
            run_dir.mkdir(parents=True, exist_ok=True)
            task.prepare(run_dir if resume is not None else None)
            save_run_config(config, run_dir / "config.yaml")
            task.save_artifacts(run_dir)
            ddp.barrier()
        else:
            ddp.barrier()
            task.prepare(run_dir)
        summary = Trainer(task, run_dir, resume=resume is not None, on_step=on_step).fit()
    finally:
        ddp.shutdown()
    summary["run_dir"] = str(run_dir)
    return summary
