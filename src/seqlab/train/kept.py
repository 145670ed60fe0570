"""Step checkpoints: the last N validations' checkpoints, kept for ``seqlab average``.

With ``train.keep_checkpoints: N`` every validation copies ``checkpoints/last`` to
``checkpoints/step-NNNNNNNN`` (the optimizer step, zero-padded so names sort by step) and
removes the oldest step checkpoints beyond N::

    checkpoints/best/  last/  step-00000300/  step-00000400/  step-00000500/

``best`` and ``last`` are written as without the option.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from seqlab.errors import SeqlabError

PREFIX = "step-"


def step_name(step: int) -> str:
    """The directory name of the step checkpoint of optimizer step ``step``."""
    return f"{PREFIX}{step:08d}"


def step_checkpoints(checkpoints: Path) -> list[Path]:
    """The step checkpoints under ``checkpoints``, oldest first."""
    if not checkpoints.is_dir():
        return []
    found = [p for p in checkpoints.iterdir() if p.is_dir() and _step(p.name) is not None]
    return sorted(found, key=lambda p: _step(p.name))


def _step(name: str) -> int | None:
    digits = name.removeprefix(PREFIX)
    return int(digits) if name.startswith(PREFIX) and digits.isdigit() else None


def keep_step(checkpoints: Path, step: int, keep: int) -> None:
    """Copy ``checkpoints/last`` (just written at ``step``) to its step checkpoint, then keep
    only the newest ``keep`` step checkpoints. The copy goes through a temporary sibling and a
    rename, so a crash never leaves a half-copied step checkpoint."""
    if keep < 1:
        raise SeqlabError(f"train.keep_checkpoints: {keep} is not >= 1")
    target = checkpoints / step_name(step)
    tmp = checkpoints / f".{target.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(checkpoints / "last", tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    for old in step_checkpoints(checkpoints)[:-keep]:
        shutil.rmtree(old)
