"""How much of the training and validation text a pretrained embedding's vectors cover.

At the start of a new run whose model has a ``pretrained`` embedding, the trainer of a task
that names its splits' words (the tagger and the classifier) prints one line per split on
stderr and writes one ``metrics.jsonl`` record::

    {"split": "vectors", "step": 0, "epoch": 0, "train_tokens": 0.974, "train_types": 0.903,
     "train_total_tokens": 203621, "train_total_types": 21009, "valid_tokens": ..., ...}

``*_tokens`` and ``*_types`` are the shares of running words and of distinct words that have a
vector, found in the order of :mod:`seqlab.data.vector_lookup` (exact, lowercase, digits as 0),
over the words as the task's vocabulary sees them (after its lowercasing, if any).
"""

from __future__ import annotations

import sys
from typing import Any

from torch import nn

from seqlab.data.vector_lookup import coverage
from seqlab.train.metrics_log import MetricsLog
from seqlab.train.task import TrainingTask

RECORD_SPLIT = "vectors"


def take_vector_keys(model: nn.Module) -> Any:
    """The words of the model's pretrained vectors, removed from the module (they are needed
    once); None when no module of ``model`` holds any."""
    keys = None
    for module in model.modules():
        found = module.__dict__.pop("vector_keys", None)
        keys = keys if found is None else found
    return keys


def coverage_record(keys: Any, task: TrainingTask) -> dict[str, Any] | None:
    """The ``metrics.jsonl`` record of the coverage of each of the task's splits by ``keys``;
    None for a task that names no splits (:meth:`TrainingTask.coverage_texts`)."""
    texts = task.coverage_texts()
    if not texts:
        return None
    record: dict[str, Any] = {"split": RECORD_SPLIT, "step": 0, "epoch": 0}
    for split, sentences in texts.items():
        c = coverage(sentences, keys)
        record[f"{split}_tokens"] = c.token_share
        record[f"{split}_types"] = c.type_share
        record[f"{split}_total_tokens"] = c.total_tokens
        record[f"{split}_total_types"] = c.total_types
        if task.rank == 0:
            print(f"pretrained vectors cover {split}: {c.line()}", file=sys.stderr)
    return record


def log_vector_coverage(model: nn.Module, task: TrainingTask, log: MetricsLog, fresh: bool) -> None:
    """Print and log the coverage of a ``fresh`` run (not a resumed one) whose ``model`` has
    pretrained vectors; frees the vectors' words either way."""
    keys = take_vector_keys(model)
    record = coverage_record(keys, task) if keys is not None and fresh else None
    if record is not None:
        log.write(record)
