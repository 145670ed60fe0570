"""Step checkpoints: the last N validations' checkpoints, kept for ``seqlab average``.

With ``train.keep_checkpoints: N`` every validation copies ``checkpoints/last`` to
``checkpoints/step-NNNNNNNN`` (the optimizer step, zero-padded so names sort by step) and
removes the oldest step checkpoints beyond N::

    checkpoints/best/  last/  step-00000300/  step-00000400/  step-00000500/

``best`` and ``last`` are written as without the option.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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
    target = checkpoints / step_name(step)
    tmp = checkpoints / f".{target.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    # hard links, not copies: a checkpoint's files are never rewritten (each save writes a
    # new directory and renames it into place), so sharing them with ``last`` is safe
    shutil.copytree(checkpoints / "last", tmp, copy_function=_link_or_copy)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    for old in step_checkpoints(checkpoints)[:-keep]:
        shutil.rmtree(old)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: copy
        shutil.copy2(source, target)
