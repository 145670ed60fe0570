"""Task registry, run configs and run directories.

A task name maps to the module that defines it; each module exposes ``TASK`` (a
:class:`~seqlab.tasks.base.Task` subclass) whose ``DataConfig``/``ModelConfig`` dataclasses give
the config sections and their defaults.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import yaml

from seqlab.config import RunConfig, TrainConfig, from_dict, load_yaml, merge, to_dict
from seqlab.errors import ConfigError, SeqlabError

TASKS = {
    "lm": "seqlab.tasks.lm:LanguageModelTask",
    "seq2seq": "seqlab.tasks.seq2seq:Seq2SeqTask",
    "classify": "seqlab.tasks.classify:ClassifyTask",
    "tag": "seqlab.tasks.tag:TagTask",
    "condgen": "seqlab.tasks.condgen:CondGenTask",
}


def task_class(name: str) -> type:
    if name not in TASKS:
        raise ConfigError(f"task: {name!r} is not valid; expected one of {', '.join(TASKS)}")
    module, attr = TASKS[name].split(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        raise ConfigError(f"task: {name!r} is not available in this build") from None


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


def save_run_config(config: RunConfig, path: Path) -> None:
    data = {
        "task": config.task,
        "data": to_dict(config.data),
        "model": to_dict(config.model),
        "train": to_dict(config.train),
        "out_dir": config.out_dir,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    tmp.replace(path)


def check_run_dir(run_dir: str | Path) -> Path:
    p = Path(run_dir)
    if not p.is_dir():
        raise SeqlabError(f"{p}: no such run directory")
    if not (p / "config.yaml").is_file():
        raise SeqlabError(f"{p}: not a run directory (config.yaml is missing)")
    return p


def load_run(run_dir: str | Path, which: str = "best", device: str = "cpu") -> tuple[Any, Any]:
    """Rebuild (task, model) from a run directory alone: config, tokenizer, vocab, weights."""
    import torch

    from seqlab.train import checkpoint as ckpt

    run = check_run_dir(run_dir)
    config = load_run_config(run / "config.yaml")
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
