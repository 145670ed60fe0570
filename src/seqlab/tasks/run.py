"""Start or resume a training run in a run directory (see :mod:`seqlab.train.rundir`).

    resolve the config           every key checked; a resume merges its --set overrides, and
                                 trusts no pickle its run directory's config asks for
    check out_dir                never over a run's checkpoints, a file, or (without --force)
                                 a directory that is not a seqlab run
    read the data                before anything is written, so bad data leaves nothing behind
    lock the run directory       one training writes it at a time (RUN/.lock, the holder's PID)
    train                        a new run writes its config and vocabularies first; a resume
                                 rewrites config.yaml only once its checkpoint has loaded

A new run that fails before its first checkpoint removes the directory it created.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

from seqlab.config import RunConfig, load_yaml, merge
from seqlab.errors import SeqlabError
from seqlab.tasks import load_run_config, run_config_from_dict, task_class
from seqlab.tasks.base import Task
from seqlab.train import checkpoint as ckpt
from seqlab.train import distributed as ddp
from seqlab.train.log_sinks import check_log_to
from seqlab.train.rundir import (
    CONFIG_FILE,
    RunLock,
    check_new_run_dir,
    check_run_dir,
    save_run_config,
)
from seqlab.train.trainer import Trainer, check_precision


def resolve(
    config_path: str | Path | None, overrides: dict | None, resume: str | Path | None
) -> tuple[RunConfig, Path]:
    """The checked config and its run directory; nothing is read but configs and metadata."""
    if resume is not None:
        run_dir = check_run_dir(resume)
        ckpt.read_meta(run_dir / "checkpoints" / "last")  # fail early on a missing/corrupt one
        ckpt.load_trainer_tensors(run_dir / "checkpoints" / "last")
        saved = distrusted(load_yaml(run_dir / CONFIG_FILE))
        return run_config_from_dict(
            merge(saved, overrides or {}), str(run_dir / CONFIG_FILE)
        ), run_dir
    if config_path is None:
        raise SeqlabError("train: give a CONFIG file, or --resume RUN")
    config = load_run_config(config_path, overrides)
    return config, Path(config.out_dir)


def distrusted(saved: dict) -> dict:
    """A run directory's saved config with ``model.embedding.trust_pickle`` off.

    Reading a pickled vectors file can run any code it holds, so the opt-in must come from the
    person typing the command (``--set model.embedding.trust_pickle=true``) or the config file
    they pass, never from a run directory, which anyone may have made.
    """
    model = saved.get("model")
    embedding = model.get("embedding") if isinstance(model, dict) else None
    if not isinstance(embedding, dict) or "trust_pickle" not in embedding:
        return saved
    return merge(saved, {"model": {"embedding": {"trust_pickle": False}}})


def train(
    config_path: str | Path | None = None,
    overrides: dict | None = None,
    resume: str | Path | None = None,
    on_step=None,
    *,
    force: bool = False,
) -> dict[str, Any]:
    """Train from a config file, or resume the run in directory ``resume``; ``force`` lets a
    new run write into a non-empty directory that is not a seqlab run."""
    config, run_dir = resolve(config_path, overrides, resume)
    device = ddp.local_device(config.train.device)
    check_precision(config.train.precision, device)  # before any data is read
    check_log_to(config.train.log_to)
    rank, world_size = ddp.init(device)
    try:
        # rank 0 alone: under DDP the other ranks would find the lock rank 0 has taken
        if rank == 0 and resume is not None:
            RunLock.check_free(run_dir)
        elif rank == 0:
            check_new_run_dir(run_dir, force)
        if config.train.batch_type == "sentences" and config.train.batch_size % world_size:
            raise SeqlabError(
                f"train.batch_size: {config.train.batch_size} is not divisible "
                f"by {world_size} processes"
            )
        task = task_class(config.task)(config, rank, world_size)
        summary = _run(task, run_dir, resume is not None, on_step)
    finally:
        ddp.shutdown()
    summary["run_dir"] = str(run_dir)
    return summary


def _run(task: Task, run_dir: Path, resuming: bool, on_step) -> dict[str, Any]:
    """Prepare the data, take the lock (rank 0), write what a run needs, and train."""
    main = task.rank == 0
    if not main:
        ddp.barrier()  # rank 0 has written the vocabularies
        task.prepare(run_dir)
        return Trainer(task, run_dir, resume=resuming, on_step=on_step).fit()
    task.prepare(run_dir if resuming else None)
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with RunLock(run_dir):
            if not resuming:
                if (run_dir / "checkpoints").exists():  # another training won the race
                    raise SeqlabError(f"{run_dir}: already holds a run; resume it with --resume")
                save_run_config(task.config, run_dir / CONFIG_FILE)
                task.save_artifacts(run_dir)
            ddp.barrier()
            trainer = Trainer(task, run_dir, resume=resuming, on_step=on_step)
            trainer.setup()
            if resuming:  # the checkpoint loaded with the merged config: now it is the config
                save_run_config(task.config, run_dir / CONFIG_FILE)
            return trainer.fit()
    except BaseException:
        if created and not (run_dir / "checkpoints").exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(run_dir)
        raise
