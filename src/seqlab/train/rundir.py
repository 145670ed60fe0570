"""Run directories: what makes a directory a seqlab run, and writing its config.

runs/NAME/
    config.yaml        the resolved config (every default written out)
    tokenizer.json     tokenizers and vocabularies, rebuilt from these files alone
    vocab.json
    metrics.jsonl      one line per log/validation
    loss.png           loss curve
    checkpoints/last/  and checkpoints/best/  (see seqlab.train.checkpoint)
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import yaml

from seqlab.config import RunConfig, to_dict
from seqlab.errors import SeqlabError

CONFIG_FILE = "config.yaml"


def check_run_dir(run_dir: str | Path) -> Path:
    """``run_dir`` as a Path, or a one-line error if it is not a run directory."""
    p = Path(run_dir)
    if not p.is_dir():
        raise SeqlabError(f"{p}: no such run directory")
    if not (p / CONFIG_FILE).is_file():
        raise SeqlabError(f"{p}: not a run directory ({CONFIG_FILE} is missing)")
    return p


def config_text(config: RunConfig) -> str:
    """The YAML of a resolved config, as written to ``config.yaml``."""
    return yaml.safe_dump(to_dict(config), sort_keys=False, allow_unicode=True)


def save_run_config(config: RunConfig, path: Path) -> None:
    """Write ``config`` to ``path`` atomically (a temporary file, then a rename)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(config_text(config))
    tmp.replace(path)


def check_new_run_dir(run_dir: Path, force: bool = False) -> None:
    """A fresh training may write into ``run_dir`` if it does not exist, is empty, or (with
    ``force``) is a non-empty directory that holds no seqlab run; never over a run's
    checkpoints, and never where a file stands."""
    if run_dir.exists() and not run_dir.is_dir():
        raise SeqlabError(f"{run_dir}: out_dir is a file, not a directory; choose another out_dir")
    _check_path(run_dir)
    RunLock.check_free(run_dir)
    if (run_dir / "checkpoints").exists():
        raise SeqlabError(
            f"{run_dir}: already holds a run; resume it with --resume {run_dir} "
            f"or choose another out_dir (--set out_dir=...)"
        )
    if force or not run_dir.is_dir() or not any(run_dir.iterdir()):
        return
    if (run_dir / CONFIG_FILE).exists():
        raise SeqlabError(
            f"{run_dir}: holds a run that stopped before its first checkpoint; pass --force to "
            "start it again, or choose another out_dir"
        )
    raise SeqlabError(
        f"{run_dir}: not empty and not a seqlab run (no config.yaml, no checkpoints/); choose "
        "another out_dir, or pass --force to train into it anyway"
    )


def _check_path(run_dir: Path) -> None:
    """Refuse an ``out_dir`` that cannot be made: a dangling symbolic link on its path, or a
    file where one of its parent directories should be."""
    for path in (run_dir, *run_dir.parents):
        if path.is_symlink() and not path.exists():
            raise SeqlabError(
                f"{run_dir}: out_dir: {path} is a symbolic link to {os.readlink(path)}, which "
                "does not exist; remove the link or choose another out_dir"
            )
        if path != run_dir and path.exists() and not path.is_dir():
            raise SeqlabError(
                f"{run_dir}: out_dir: {path} is a file, not a directory; choose another out_dir"
            )


class RunLock:
    """Held by the one training that writes a run directory: ``RUN/.lock`` holds its PID.

    The lock is an advisory ``flock`` on that file, which the kernel releases when the process
    ends however it ends, so a lock left by a killed training never blocks ``--resume``. The
    file is removed on release, so a run directory carries it only while a training runs.
    """

    NAME = ".lock"

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / self.NAME
        self.fd: int | None = None

    @classmethod
    def check_free(cls, run_dir: Path) -> None:
        """A one-line error naming the holder's PID if a training holds ``run_dir``."""
        path = Path(run_dir) / cls.NAME
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:  # no training holds it, or the holder just released it
            return
        try:
            _take(fd, path)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _take(fd, self.path)
        except SeqlabError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        self.path.unlink(missing_ok=True)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def _take(fd: int, path: Path) -> None:
    """flock ``fd`` now, or a one-line error naming the PID written in the lock file."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        raise SeqlabError(
            f"{path.parent}: another training (PID {holder}) is writing this run directory; "
            "wait for it to end, or choose another out_dir"
        ) from None
