"""The task registry: a task name, its class, its config sections, and a trained run rebuilt.

A task name maps to the class that defines it (a :class:`~seqlab.tasks.base.Task` subclass),
whose ``DataConfig``/``ModelConfig`` sections give the run config's ``data`` and ``model``
sections and their defaults; :func:`run_config_schema` is the JSON Schema of all of them.
"""

from __future__ import annotations

import functools
import operator
from pathlib import Path
from typing import Annotated, Any, Literal

import torch
from pydantic import Field, TypeAdapter, create_model

from seqlab.config import RunConfig, from_dict, load_yaml, merge
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
    if not isinstance(name, str):  # e.g. ``task: [lm]``, which cannot be looked up
        raise ConfigError(f"task: expected str, got {type(name).__name__} {name!r}")
    if name not in TASKS:
        raise ConfigError(f"task: {name!r} is not valid; expected one of {', '.join(TASKS)}")
    return TASKS[name]


@functools.cache
def run_config_class(name: str) -> type[RunConfig]:
    """The run config of task ``name``: a :class:`RunConfig` whose ``data`` and ``model`` are
    that task's sections."""
    cls = task_class(name)
    return create_model(
        f"{cls.__name__.removesuffix('Task')}RunConfig",
        __base__=RunConfig,
        __doc__=f"A {name} run: its data and model sections, training, and where to write.",
        task=(Literal[name], ...),
        data=(cls.DataConfig, ...),
        model=(cls.ModelConfig, Field(default_factory=cls.ModelConfig)),
        out_dir=(str, f"runs/{name}"),
    )


def run_config_from_dict(data: dict, source: str = "config") -> RunConfig:
    """Strictly build a RunConfig; errors are prefixed with ``source`` (the file name)."""
    try:
        if "task" not in data:
            raise ConfigError("task: required key is missing (e.g. task: lm)")
        unknown = set(data) - set(RunConfig.model_fields)
        if unknown:
            valid = ", ".join(RunConfig.model_fields)
            raise ConfigError(
                f"{sorted(map(str, unknown))[0]}: unknown key; expected one of {valid}"
            )
        cls = run_config_class(task_class(data["task"]).name)
        sections = {k: data.get(k) or {} for k in ("data", "model", "train")}  # empty: defaults
        return from_dict(cls, {**data, **sections})
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None


def run_config_schema() -> dict[str, Any]:
    """The JSON Schema of a run config, any task (``seqlab config schema``)."""
    runs = functools.reduce(operator.or_, map(run_config_class, TASKS))  # one of the five
    schema = TypeAdapter(Annotated[runs, Field(discriminator="task")]).json_schema()
    head = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "seqlab run"}
    return {**head, **schema}


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
