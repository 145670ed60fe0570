"""The task registry: a task name, its class, its config sections, and a trained run rebuilt.

A task name maps to the class that defines it (a :class:`~seqlab.tasks.base.Task` subclass),
whose ``DataConfig``/``ModelConfig`` dataclasses give the config sections and their defaults.
"""

from __future__ import annotations

from pathlib import Path

import torch

from seqlab.config import RunConfig, TrainConfig, from_dict, load_yaml, merge
from seqlab.errors import ConfigError
from seqlab.runtime.backend import check_backend, load_export
from seqlab.tasks.base import Task
from seqlab.tasks.classify import ClassifyTask
from seqlab.tasks.condgen import CondGenTask
from seqlab.tasks.lm import LanguageModelTask
from seqlab.tasks.seq2seq import Seq2SeqTask
from seqlab.tasks.tag import TagTask
from seqlab.train import checkpoint as ckpt
from seqlab.train.rundir import CONFIG_FILE, check_run_dir

TASKS: dict[str, type[Task]] = {
    "lm": LanguageModelTask,
    "seq2seq": Seq2SeqTask,
    "classify": ClassifyTask,
    "tag": TagTask,
    "condgen": CondGenTask,
}


def task_class(name: str) -> type[Task]:
    """The task class named ``name``; a one-line error lists the valid names."""
    if name not in TASKS:
        raise ConfigError(f"task: {name!r} is not valid; expected one of {', '.join(TASKS)}")
    return TASKS[name]


def run_config_from_dict(data: dict, source: str = "config") -> RunConfig:
    """Strictly build a RunConfig; errors are prefixed with ``source`` (the file name)."""
    try:
        if "task" not in data:
            raise ConfigError("task: required key is missing (e.g. task: lm)")
        unknown = set(data) - {"task", "data", "model", "train", "out_dir"}
        if unknown:
            raise ConfigError(
                f"{sorted(unknown)[0]}: unknown key; "
                "expected one of task, data, model, train, out_dir"
            )
        cls = task_class(data["task"])
        return RunConfig(
            task=data["task"],
            data=from_dict(cls.DataConfig, data.get("data") or {}, "data."),
            model=from_dict(cls.ModelConfig, data.get("model") or {}, "model."),
            train=from_dict(TrainConfig, data.get("train") or {}, "train."),
            out_dir=str(data.get("out_dir", f"runs/{data['task']}")),
        )
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None


def load_run_config(path: str | Path, overrides: dict | None = None) -> RunConfig:
    data = load_yaml(path)
    return run_config_from_dict(merge(data, overrides or {}), str(path))


def load_run(
    run_dir: str | Path, which: str = "best", device: str = "cpu", backend: str = "torch"
) -> tuple[Task, torch.nn.Module]:
    """Rebuild (task, model) from a run directory alone: config, tokenizer, vocab, weights.

    ``backend`` onnx or onnx-int8: the model is the run's export on ONNX Runtime (``run_dir``
    may also be the export directory itself), with the same interface.
    """
    check_backend(backend)
    if backend != "torch":
        export_dir, _, model = load_export(Path(run_dir), backend)
        config = load_run_config(export_dir / CONFIG_FILE)
        task = task_class(config.task)(config)
        task.load_artifacts(export_dir)
        return task, model
    run = check_run_dir(run_dir)
    config = load_run_config(run / CONFIG_FILE)
    task = task_class(config.task)(config)
    task.load_artifacts(run)
    path = run / "checkpoints" / which
    if which == "best" and not path.exists():
        path = run / "checkpoints" / "last"
    meta = ckpt.read_meta(path)
    model = task.build_model(meta["model_args"]).to(torch.device(device))
    ckpt.load_weights(path, model)
    model.eval()
    return task, model


def model_from_path(path: Path) -> torch.nn.Module:
    """The model of a run directory (its ``last`` checkpoint) or of a YAML config (built from
    scratch, which reads the training data once to learn the vocabulary size)."""
    if path.is_dir():
        return load_run(path, "last")[1]
    config = load_run_config(path)
    task = task_class(config.task)(config)
    task.prepare()
    return task.build_model()
