"""The routes, on FastAPI routers; what they need comes in through ``Depends``:

    served_models   the loaded models by name (:data:`seqlab.serve.registry.Registry`)
    limits          the server's :class:`~seqlab.serve.limits.Limits`
    api_key         401 unless the request carries the server's key (``/v1`` routes only)

A route parses and checks its request, turns it into :class:`~seqlab.serve.runners.Work`,
and waits for the batched result; the event loop never runs a model.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from seqlab.analysis.explain import explain
from seqlab.serve import schemas
from seqlab.serve.attention import AttentionKey, attention_work
from seqlab.serve.batcher import DeadlineExceeded
from seqlab.serve.errors import ClientError
from seqlab.serve.limits import Limits
from seqlab.serve.registry import Registry, ServedModel, describe, lookup
from seqlab.serve.runners import (
    Work,
    classify_work,
    generate_work,
    tag_work,
    translate_work,
)
from seqlab.serve.stream import Push, event_stream

STATIC = Path(__file__).resolve().parent / "static"


def served_models(request: Request) -> Registry:
    return request.app.state.served


def limits(request: Request) -> Limits:
    return request.app.state.limits


def api_key(request: Request) -> None:
    """Refuse a request without ``Authorization: Bearer <key>`` when the server has a key."""
    key = request.app.state.api_key
    if key and not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {key}"):
        message = "missing or wrong API key: send Authorization: Bearer <key>"
        raise ClientError(401, message, {"www-authenticate": "Bearer"})


Served = Annotated[Registry, Depends(served_models)]
Limited = Annotated[Limits, Depends(limits)]

api = APIRouter(prefix="/v1", dependencies=[Depends(api_key)])
public = APIRouter()


async def _submit(request: Request, one: ServedModel, work: Work, timeout: float, stream=None):
    """Queue the work's rows, wait for the batched result; note what the log line needs."""
    entry = request.scope["state"]["log"]
    entry.update(model=one.name, rows=len(work.rows))
    result, job = await one.batcher.submit(work.key, work.rows, timeout, stream)
    entry.update(
        batch=job.batch_rows,
        queue_ms=round(1000 * (job.started - job.enqueued), 1),
        compute_ms=round(1000 * (job.finished - job.started), 1),
    )
    if isinstance(result, Exception):
        raise result
    return result


async def _translate(req, request: Request, served: Registry, limits: Limits, route: str):
    one = lookup(served, req.model, route)
    outputs = await _submit(request, one, translate_work(one, req), limits.timeout)
    return schemas.TranslateResponse(model=one.name, outputs=outputs)


@api.post("/translate", response_model=schemas.TranslateResponse)
async def translate_route(
    req: schemas.TranslateRequest, request: Request, served: Served, limits: Limited
):
    return await _translate(req, request, served, limits, "translate")


@api.post("/chat", response_model=schemas.TranslateResponse)
async def chat_route(
    req: schemas.TranslateRequest, request: Request, served: Served, limits: Limited
):
    return await _translate(req, request, served, limits, "chat")


@api.post("/generate", response_model=schemas.GenerateResponse)
async def generate(req: schemas.GenerateRequest, request: Request, served: Served, limits: Limited):
    one = lookup(served, req.model, "generate")
    work = generate_work(one, req)
    if not req.stream:
        return await _submit(request, one, work, limits.timeout)

    def start(push: Push):
        return _submit(request, one, work, limits.timeout, push)

    return event_stream(request, start)


@api.post("/classify", response_model=schemas.ClassifyResponse)
async def classify(req: schemas.ClassifyRequest, request: Request, served: Served, limits: Limited):
    one = lookup(served, req.model, "classify")
    outputs = await _submit(request, one, classify_work(req), limits.timeout)
    return schemas.ClassifyResponse(model=one.name, outputs=outputs)


@api.post("/tag", response_model=schemas.TagResponse)
async def tag(req: schemas.TagRequest, request: Request, served: Served, limits: Limited):
    one = lookup(served, req.model, "tag")
    outputs = await _submit(request, one, tag_work(req), limits.timeout)
    return schemas.TagResponse(model=one.name, outputs=outputs)


@api.post("/attention", response_model=schemas.AttentionResponse)
async def attention(
    req: schemas.AttentionRequest, request: Request, served: Served, limits: Limited
):
    """Every layer's and head's attention weights of a Transformer run, tokens as labels."""
    one = lookup(served, req.model, "attention")
    work = Work(AttentionKey(), attention_work(one, req))
    return await _submit(request, one, work, limits.timeout)


@api.get("/models", response_model=schemas.ModelsResponse)
async def list_models(served: Served) -> schemas.ModelsResponse:
    return schemas.ModelsResponse(models=[describe(m) for m in served.values()])


@api.get("/metrics", response_model=schemas.MetricsResponse)
async def metrics(served: Served) -> schemas.MetricsResponse:
    """Per model, what its batcher has run: batches, requests, rows and compute seconds."""
    return schemas.MetricsResponse(models={name: _metrics(one) for name, one in served.items()})


def _metrics(one: ServedModel) -> schemas.ModelMetrics:
    counted = one.batcher.counters
    return schemas.ModelMetrics(
        batches=counted.batches,
        requests=counted.requests,
        rows=counted.rows,
        compute_s=round(counted.compute_seconds, 6),
        pending=one.batcher.pending,
    )


@api.post("/explain")
async def explain_route(req: schemas.ExplainRequest, request: Request, limits: Limited) -> dict:
    request.scope["state"]["log"].update(model="explain", rows=1)
    key = (req.text, req.cell, req.hidden_size, req.seed, req.steps, req.lr)
    work = functools.partial(_explained, *key)
    explainer = request.app.state.explainer
    future = asyncio.get_running_loop().run_in_executor(explainer, work)
    try:
        return await asyncio.wait_for(future, limits.timeout)
    except TimeoutError:
        raise DeadlineExceeded from None


@functools.lru_cache(maxsize=256)
def _explained(text: str, cell: str, hidden_size: int, seed: int, steps: int, lr: float) -> dict:
    """The walk-through of ``seqlab explain`` (deterministic, so answers are cached)."""
    return explain(text=text, cell=cell, hidden_size=hidden_size, seed=seed, steps=steps, lr=lr)


@public.get("/health")
async def health(served: Served) -> dict:
    return {"status": "ok", "models": sorted(served)}


@public.get("/", include_in_schema=False)
async def studio():
    index = STATIC / "index.html"
    if not index.exists():
        raise ClientError(404, "the studio is not part of this build")
    return FileResponse(index)
