"""The loaded runs, and what each route asks of a run's task.

A route turns a request into a batch key and rows (checking, before any batching, what only
this request can get wrong: an input too long, a prime outside the vocabulary), then a runner
decodes every row of a batch in one call and hands each request its own results.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from seqlab.analysis.params import param_table_from_module
from seqlab.decode.strategy import beam_or_greedy, sampling
from seqlab.errors import SeqlabError
from seqlab.serve import schemas
from seqlab.serve.batcher import Batcher, Job
from seqlab.tasks import load_run
from seqlab.tasks.base import Task
from seqlab.tasks.options import GenerateOptions, PredictOptions


class ClientError(Exception):
    """A request the server refuses: ``status`` and one line naming the field or input."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(" ".join(message.split()))
        self.status, self.headers = status, headers or {}


@dataclass
class LoadedModel:
    """A run loaded once at start-up, with the batcher of its requests."""

    name: str
    run: Path
    task: Task
    model: nn.Module
    batcher: Batcher | None = None

    def check_route(self, route: str) -> None:
        if route not in self.task.serves:
            offered = ", ".join(f"/v1/{r}" for r in self.task.serves) or "none"
            raise ClientError(
                400, f"model {self.name!r} is a {self.task.name} run: it answers {offered}"
            )


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


def load_models(specs: list[str], device: str, backend: str = "torch") -> dict[str, LoadedModel]:
    """Every run, loaded once, on ``device`` (torch) or as its ONNX export (``backend``)."""
    models = {}
    for name, run in parse_specs(specs):
        task, model = load_run(run, "best", device, backend)
        models[name] = LoadedModel(name, run, task, model)
    return models


def attach_batchers(
    models: dict[str, LoadedModel], executors: dict[str, Executor], **limits: Any
) -> None:
    """One batcher per model, on the model's own inference thread (``executors[name]``); its
    worker starts with the event loop."""
    for name, loaded in models.items():
        loaded.batcher = Batcher(_runner(loaded), executors[name], **limits)


def _runner(loaded: LoadedModel):
    """run(key, jobs) for this model: the route is the key's first element. A batch that fails
    on one request's input is run again request by request, so only that one gets the error."""
    runs = {"translate": _run_translate, "chat": _run_translate, "generate": _run_generate}
    runs.update(classify=_run_classify, tag=_run_tag)

    def run(key: tuple, jobs: list[Job]) -> list[Any]:
        with torch.inference_mode():
            try:
                return runs[key[0]](loaded, key, jobs)
            except SeqlabError as e:
                if len(jobs) == 1:
                    return [ClientError(422, str(e))]
                return [run(key, [job])[0] for job in jobs]

    return run


# ------------------------------------------------------------------ translate and chat


def translate_rows(loaded: LoadedModel, req: schemas.TranslateRequest) -> tuple[tuple, list]:
    """Key and rows of a translate or chat request; inputs over the length limit are refused
    (422 naming the input) unless the request asks for truncation."""
    if req.n_best > req.beam:
        raise ClientError(422, f"n_best: must be at most beam ({req.beam}), got {req.n_best}")
    strategy = beam_or_greedy(req.beam, req.n_best, req.length_penalty, req.alpha)
    limit = loaded.task.config.data.max_src_len
    rows = []
    for i, text in enumerate(req.inputs):
        ids = loaded.task.src_ids(text)
        cut = bool(limit) and len(ids) > limit
        if cut and not req.truncate:
            raise ClientError(
                422,
                f"inputs.{i}: {len(ids)} tokens, over the model's limit of {limit}; shorten it "
                "or send truncate: true",
            )
        rows.append((text, ids[:limit] if cut else ids, cut))
    return ("translate", strategy, req.max_length, req.return_attention), rows


def _run_translate(loaded: LoadedModel, key: tuple, jobs: list[Job]) -> list[Any]:
    _, strategy, max_length, attention = key
    rows = [row for job in jobs for row in job.rows]
    task = loaded.task
    hyps = task.decode(
        loaded.model,
        [ids for _, ids, _ in rows],
        strategy,
        attention=attention,
        batch_size=len(rows),
        max_length=max_length,
    )
    outputs = [_translation(task, row, best, attention) for row, best in zip(rows, hyps)]
    return _split(outputs, jobs)


def _translation(task, row: tuple, best: list, attention: bool) -> schemas.Translation:
    text, ids, cut = row
    if not text.strip():  # an empty input gets an empty output, as on the command line
        empty = [schemas.Hypothesis(text="", score=0.0)]
        return schemas.Translation(text="", score=0.0, n_best=empty, src_tokens=[], tgt_tokens=[])
    top = best[0]
    weights = None
    if attention and top.attention is not None:  # this row's own source columns and <eos>
        weights = top.attention[:, : len(ids) + 1].float().tolist()
    return schemas.Translation(
        text=task.tgt_text(top.tokens),
        score=top.score,
        n_best=[schemas.Hypothesis(text=task.tgt_text(h.tokens), score=h.score) for h in best],
        src_tokens=task.src_tokens(ids) + ["<eos>"],
        tgt_tokens=task.tgt_tokens(top.tokens) + (["<eos>"] if top.finished else []),
        attention=weights,
        truncated=cut,
    )


# ------------------------------------------------------------------ generate


def generate_rows(req: schemas.GenerateRequest) -> tuple[tuple, list]:
    """Key and rows (one per sample) of a generate request."""
    strategy = sampling(req.temperature, req.top_k, req.top_p, req.seed)
    options = GenerateOptions(
        prime=req.prime, max_tokens=req.max_tokens, strategy=strategy, condition=req.condition
    )
    return ("generate", strategy, req.max_tokens), [options] * req.n


def check_generate(loaded: LoadedModel, req: schemas.GenerateRequest) -> None:
    """422 before any work (and before a stream starts) for what the model cannot take. A
    feature-conditioned model's conditions are files: a request may not name server files."""
    task = loaded.task
    if task.name == "condgen" and not task.labels:
        raise ClientError(
            422,
            "condition: this model is conditioned on feature files, which a request cannot "
            "name; use seqlab generate --condition FILE.npy",
        )
    task.check_generate(GenerateOptions(prime=req.prime, condition=req.condition))


def _run_generate(loaded: LoadedModel, key: tuple, jobs: list[Job]) -> list[Any]:
    requests = [dataclasses.replace(job.rows[0], n=len(job.rows)) for job in jobs]
    owners = [(job, k) for job in jobs for k in range(len(job.rows))]  # row -> request, sample

    def on_piece(row: int, text: str) -> None:
        job, sample = owners[row]
        if job.stream is not None:
            job.stream(sample, text)

    outputs = loaded.task.generate_many(loaded.model, requests, on_piece)
    return [schemas.GenerateResponse(model=loaded.name, outputs=out) for out in outputs]


# ------------------------------------------------------------------ classify and tag


def _run_classify(loaded: LoadedModel, key: tuple, jobs: list[Job]) -> list[Any]:
    texts = [text for job in jobs for text in job.rows]
    predictions = loaded.task.predict(loaded.model, texts, PredictOptions(len(texts)))
    outputs = [
        schemas.ClassPrediction(
            label=p.label, probability=p.probability, probabilities=p.probabilities
        )
        for p in predictions
    ]
    return _split(outputs, jobs)


def tag_rows(req: schemas.TagRequest) -> tuple[tuple, list]:
    """Rows: (text or None, tokens, character offsets of each token)."""
    return ("tag",), [_tokens_with_offsets(item) for item in req.inputs]


def _tokens_with_offsets(item: str | list[str]) -> tuple[str, list[str], list[tuple[int, int]]]:
    """A text split on whitespace, or a token list laid out joined by single spaces."""
    if isinstance(item, list):
        tokens, text = list(item), " ".join(item)
    else:
        tokens, text = item.split(), item
    offsets, at = [], 0
    for token in tokens:
        start = text.index(token, at)
        offsets.append((start, start + len(token)))
        at = start + len(token)
    return text, tokens, offsets


def _run_tag(loaded: LoadedModel, key: tuple, jobs: list[Job]) -> list[Any]:
    rows = [row for job in jobs for row in job.rows]
    predictions = loaded.task.predict_tokens(
        loaded.model, [tokens for _, tokens, _ in rows], PredictOptions(len(rows))
    )
    return _split([_tagging(row, p) for row, p in zip(rows, predictions)], jobs)


def _tagging(row: tuple, prediction) -> schemas.Tagging:
    text, tokens, offsets = row
    spans = [
        schemas.Span(
            type=s["type"],
            start=offsets[s["start"]][0],
            end=offsets[s["end"] - 1][1],
            text=text[offsets[s["start"]][0] : offsets[s["end"] - 1][1]],
            tokens=[s["start"], s["end"]],
        )
        for s in prediction.spans
    ]
    return schemas.Tagging(tokens=tokens, tags=prediction.tags, spans=spans)


def _split(outputs: list, jobs: list[Job]) -> list[list]:
    """Row outputs back into one list per job."""
    out, at = [], 0
    for job in jobs:
        out.append(outputs[at : at + len(job.rows)])
        at += len(job.rows)
    return out


# ------------------------------------------------------------------ /v1/models


def describe(loaded: LoadedModel) -> schemas.ModelInfo:
    """Name, task, cell, sizes, vocabularies, parameter counts and accepted options."""
    m = loaded.task.config.model
    sizes = {k: getattr(m, k) for k in ("embedding_dim", "hidden_size", "num_layers")}
    for extra in ("bidirectional", "attention"):
        if hasattr(m, extra):
            sizes[extra] = getattr(m, extra)
    table = param_table_from_module(loaded.model, source=loaded.name)
    options = {route: OPTIONS[route] for route in loaded.task.serves}
    return schemas.ModelInfo(
        name=loaded.name,
        task=loaded.task.name,
        run=str(loaded.run),
        routes=[f"/v1/{r}" for r in loaded.task.serves],
        cell=m.cell,
        sizes=sizes,
        vocabularies=loaded.task.describe(),
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
}
