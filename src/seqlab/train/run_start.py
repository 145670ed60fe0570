"""What a fresh run reports about its data before the first step, on stderr and in
``metrics.jsonl`` (records at step 0, each with its own ``split``):

    vectors        how much of each split a pretrained embedding covers
                   (:mod:`seqlab.train.vector_coverage`)
    (the task's)   the task's :class:`~seqlab.train.task.DataNote` records, such as the
                   classifier's ``valid_overlap`` counts of kept and dropped validation examples

A resumed run reports nothing again: its log already holds these records.
"""

from __future__ import annotations

import sys

from torch import nn

from seqlab.train.metrics_log import MetricsLog
from seqlab.train.task import TrainingTask
from seqlab.train.vector_coverage import log_vector_coverage


def log_run_start(model: nn.Module, task: TrainingTask, log: MetricsLog, fresh: bool) -> None:
    """Print and log the start-of-run records of a ``fresh`` run (not a resumed one)."""
    log_vector_coverage(model, task, log, fresh)
    if not fresh:
        return
    for note in task.data_notes():
        if task.rank == 0:
            print(note.line, file=sys.stderr)
        log.write({"split": note.split, "step": 0, "epoch": 0, **note.fields})
