"""The runs a server answers for: each loaded once at start-up, by name, with its batcher.

    seqlab serve lm=runs/lm s2s=runs/s2s     ->  {"lm": ServedModel, "s2s": ServedModel}

A served model runs one batch of requests at a time on its own inference thread; what a
batch does is its key's (:mod:`seqlab.serve.runners`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from seqlab.analysis.attention_maps import has_attention_maps
from seqlab.analysis.params import param_table_from_module
from seqlab.api import load
from seqlab.errors import SeqlabError
from seqlab.serve import schemas
from seqlab.serve.batcher import Batcher, Job
from seqlab.serve.errors import ClientError
from seqlab.tasks.base import Task


@dataclass
class ServedModel:
    """A run loaded once at start-up, with the batcher of its requests."""

    name: str
    run: Path
    task: Task
    model: nn.Module
    batcher: Batcher | None = None

    @property
    def routes(self) -> tuple[str, ...]:
        """The task's routes, and ``attention`` for a language model or seq2seq Transformer."""
        transformer = isinstance(self.model, nn.Module) and has_attention_maps(self.model)
        attention = ("attention",) if transformer and self.task.name in ("lm", "seq2seq") else ()
        return (*self.task.serves, *attention)

    def check_route(self, route: str) -> None:
        if route not in self.routes:
            offered = ", ".join(f"/v1/{r}" for r in self.routes) or "none"
            raise ClientError(
                400, f"model {self.name!r} is a {self.task.name} run: it answers {offered}"
            )

    def run_batch(self, key: Any, jobs: list[Job]) -> list[Any]:
        """One batched call (on the inference thread). A batch that fails on one request's
        input is run again request by request, so only that one gets the error."""
        with torch.inference_mode():
            try:
                return key.run(self, jobs)
            except SeqlabError as e:
                if len(jobs) == 1:
                    return [ClientError(422, str(e))]
                return [self.run_batch(key, [job])[0] for job in jobs]


SIZES = ("embedding_dim", "hidden_size", "num_layers", "bidirectional", "attention")
"""A recurrent run's sizes in /v1/models (bidirectional and attention where the task has them)."""

Registry = dict[str, ServedModel]
"""The served models by name."""


def parse_specs(specs: list[str]) -> list[tuple[str, Path]]:
    """``RUN`` or ``NAME=RUN`` -> (name, run directory); names must be unique."""
    out = []
    for spec in specs:
        name, sep, run = spec.partition("=")
        path = Path(run if sep else spec)
        out.append((name if sep else path.resolve().name, path))
    names = [n for n, _ in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SeqlabError(f"serve: model name {duplicates[0]!r} is given twice; use NAME=RUN")
    return out


def load_registry(
    specs: list[str], device: str, backend: str = "torch", *, ensemble: Sequence[Path] = ()
) -> Registry:
    """Every run, loaded once, on ``device`` (torch) or as its ONNX export (``backend``);
    with ``ensemble`` (more runs), the one run given is served as their ensemble."""
    if ensemble and len(specs) != 1:
        raise SeqlabError("serve: --ensemble ensembles one RUN; give exactly one RUN with it")
    served = {}
    for name, run in parse_specs(specs):
        model = load(run, backend, which="best", device=device, ensemble=ensemble)
        served[name] = ServedModel(name, run, model.task, model.module)
    return served


def attach_batchers(served: Registry, executors: dict[str, Executor], **limits: Any) -> None:
    """One batcher per model, on the model's own inference thread (``executors[name]``); its
    worker starts with the event loop."""
    for name, one in served.items():
        one.batcher = Batcher(one.run_batch, executors[name], **limits)


def lookup(served: Registry, name: str, route: str) -> ServedModel:
    """The model a request names, if it answers ``route`` (404 lists the loaded ones)."""
    if name not in served:
        raise ClientError(404, f"no model {name!r}; loaded: {', '.join(sorted(served))}")
    one = served[name]
    one.check_route(route)
    return one


def describe(served: ServedModel) -> schemas.ModelInfo:
    """Name, task, cell ("transformer" for a Transformer run), sizes, vocabularies, parameter
    counts and accepted options."""
    m = served.task.config.model
    transformer = getattr(m, "arch", "recurrent") == "transformer"
    names = ("embedding_dim", "num_layers", "num_heads", "arch") if transformer else SIZES
    sizes = {k: getattr(m, k) for k in names if hasattr(m, k)}
    table = param_table_from_module(served.model, source=served.name)
    options = {route: OPTIONS[route] for route in served.routes}
    return schemas.ModelInfo(
        name=served.name,
        task=served.task.name,
        run=str(served.run),
        routes=[f"/v1/{r}" for r in served.routes],
        cell="transformer" if transformer else m.cell,
        sizes=sizes,
        vocabularies=served.task.describe(),
        parameters={"keras": table.keras_total, "pytorch": table.pytorch_total},
        options=options,
    )


def _options(model: type[schemas.Strict], skip: tuple[str, ...] = ("model", "inputs")) -> dict:
    """Each option of a request: its default and, where it has them, its bounds or choices."""
    out = {}
    for name, spec in model.model_json_schema()["properties"].items():
        if name not in skip:
            keep = ("type", "default", "minimum", "maximum", "exclusiveMinimum", "enum", "anyOf")
            out[name] = {k: v for k, v in spec.items() if k in keep}
    return out


OPTIONS = {
    "translate": _options(schemas.TranslateRequest),
    "chat": _options(schemas.TranslateRequest),
    "generate": _options(schemas.GenerateRequest, ("model",)),
    "classify": {},
    "tag": {},
    "attention": _options(schemas.AttentionRequest, ("model",)),
}
