"""Several trained runs of one task, loaded as one model (``--ensemble``).

    task, model = load_ensemble("runs/a", ["runs/b", "runs/c"])

The runs must share their tokenizers, vocabularies and label sets byte for byte (a one-line
error names the first file that differs); the model is the task's
:attr:`~seqlab.tasks.base.Task.ensemble_class` over the runs' models, in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from torch import nn

from seqlab.errors import SeqlabError
from seqlab.tasks import load_run
from seqlab.tasks.artifacts import check_same_vocabularies
from seqlab.tasks.base import Task
from seqlab.train.rundir import check_run_dir


def load_ensemble(
    run_dir: str | Path, others: Sequence[str | Path], which: str = "best", device: str = "cpu"
) -> tuple[Task, nn.Module]:
    """(task of ``run_dir``, the ensemble of ``run_dir``'s model and ``others``' models), each
    from its checkpoint ``which`` (best, else last), on ``device``."""
    first = check_run_dir(run_dir)
    for other in others:
        check_same_vocabularies(first, check_run_dir(other))
    task, model = load_run(first, which, device)
    task.check_ensemble()  # before the other runs' checkpoints are read
    members = [model]
    for other in others:
        other_task, member = load_run(other, which, device)
        if other_task.name != task.name:
            raise SeqlabError(
                f"{other}: --ensemble: a {other_task.name} run cannot join a {task.name} run"
            )
        members.append(member)
    return task, task.ensemble(members)
