"""The FastAPI application: ``/health``, ``/v1/...`` and the studio at ``/``.

Every model answers from its own inference thread through its batcher; the event loop only
parses, checks, queues and replies. Errors are JSON ``{"error": one line, "request_id": ...}``:

    400 wrong route for the model     404 unknown model (lists the loaded ones)
    401 missing or wrong API key      413 body over the limit (streamed or not)
    422 malformed, mistyped or out-of-range field, or an input too long (named)
    503 queue full (Retry-After)      504 deadline passed      500 a bug (its request id)
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from seqlab.analysis.explain import explain
from seqlab.errors import SeqlabError
from seqlab.serve import schemas
from seqlab.serve.batcher import DeadlineExceeded, QueueFull
from seqlab.serve.middleware import RequestContext
from seqlab.serve.models import (
    ClientError,
    LoadedModel,
    attach_batchers,
    check_generate,
    describe,
    generate_rows,
    tag_rows,
    translate_rows,
)

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class Limits:
    """max_batch rows per call; max_wait seconds a batch waits to fill; max_queue rows waiting
    per model; timeout seconds a request may take; max_body bytes of a request body."""

    max_batch: int = 32
    max_wait: float = 0.005
    max_queue: int = 256
    timeout: float = 30.0
    max_body: int = 1 << 20


def create_app(
    models: dict[str, LoadedModel], limits: Limits = Limits(), api_key: str | None = None
) -> FastAPI:
    """The application serving ``models`` (already loaded; each app batches on its own)."""
    models = {name: dataclasses.replace(loaded) for name, loaded in models.items()}
    executors = {name: ThreadPoolExecutor(1, f"seqlab-{name}") for name in models}
    batching = {"max_batch": limits.max_batch, "max_wait": limits.max_wait}
    attach_batchers(models, executors, **batching, max_queue=limits.max_queue)
    explainer = ThreadPoolExecutor(1, "seqlab-explain")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for loaded in models.values():
            loaded.batcher.start()
        yield
        for loaded in models.values():
            await loaded.batcher.stop()
        for pool in (*executors.values(), explainer):
            pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="seqlab", version="1", lifespan=lifespan)
    app.state.models = models
    app.add_middleware(RequestContext, max_body=limits.max_body, api_key=api_key)
    _errors(app)
    _routes(app, models, limits, explainer)
    if (STATIC / "index.html").exists():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _errors(app: FastAPI) -> None:
    def reply(request: Request, status: int, message: str, headers=None) -> JSONResponse:
        rid = request.scope["state"]["request_id"]
        body = {"error": " ".join(message.split()), "request_id": rid}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(ClientError)
    async def client_error(request: Request, e: ClientError):
        return reply(request, e.status, str(e), e.headers)

    @app.exception_handler(SeqlabError)
    async def seqlab_error(request: Request, e: SeqlabError):
        return reply(request, 422, str(e))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        first = e.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return reply(request, 422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(QueueFull)
    async def busy(request: Request, e: QueueFull):
        message = "the queue for this model is full; retry in a second"
        return reply(request, 503, message, {"Retry-After": "1"})

    @app.exception_handler(DeadlineExceeded)
    async def late(request: Request, e: DeadlineExceeded):
        return reply(request, 504, "the request passed its deadline (--timeout-s)")


def _model(models: dict[str, LoadedModel], name: str, route: str) -> LoadedModel:
    if name not in models:
        raise ClientError(404, f"no model {name!r}; loaded: {', '.join(sorted(models))}")
    loaded = models[name]
    loaded.check_route(route)
    return loaded


async def _submit(request: Request, loaded: LoadedModel, key, rows, limits: Limits, stream=None):
    """Queue rows, wait for the batched result; note what the log line needs."""
    entry = request.scope["state"]["log"]
    entry.update(model=loaded.name, rows=len(rows))
    result, job = await loaded.batcher.submit(key, rows, limits.timeout, stream)
    entry.update(
        batch=job.batch_rows,
        queue_ms=round(1000 * (job.started - job.enqueued), 1),
        compute_ms=round(1000 * (job.finished - job.started), 1),
    )
    if isinstance(result, Exception):
        raise result
    return result


def _routes(app: FastAPI, models, limits: Limits, explainer) -> None:
    _model_routes(app, models, limits)
    _other_routes(app, models, limits, explainer)


def _model_routes(app: FastAPI, models, limits: Limits) -> None:
    async def translate(req: schemas.TranslateRequest, request: Request, route: str):
        loaded = _model(models, req.model, route)
        key, rows = translate_rows(loaded, req)
        outputs = await _submit(request, loaded, key, rows, limits)
        return schemas.TranslateResponse(model=loaded.name, outputs=outputs)

    @app.post("/v1/translate", response_model=schemas.TranslateResponse)
    async def translate_route(req: schemas.TranslateRequest, request: Request):
        return await translate(req, request, "translate")

    @app.post("/v1/chat", response_model=schemas.TranslateResponse)
    async def chat_route(req: schemas.TranslateRequest, request: Request):
        return await translate(req, request, "chat")

    @app.post("/v1/generate", response_model=schemas.GenerateResponse)
    async def generate(req: schemas.GenerateRequest, request: Request):
        loaded = _model(models, req.model, "generate")
        key, rows = generate_rows(req)
        check_generate(loaded, req)
        if req.stream:
            return _stream(request, loaded, key, rows, limits)
        return await _submit(request, loaded, key, rows, limits)

    @app.post("/v1/classify", response_model=schemas.ClassifyResponse)
    async def classify(req: schemas.ClassifyRequest, request: Request):
        loaded = _model(models, req.model, "classify")
        outputs = await _submit(request, loaded, ("classify",), req.inputs, limits)
        return schemas.ClassifyResponse(model=loaded.name, outputs=outputs)

    @app.post("/v1/tag", response_model=schemas.TagResponse)
    async def tag(req: schemas.TagRequest, request: Request):
        loaded = _model(models, req.model, "tag")
        key, rows = tag_rows(req)
        outputs = await _submit(request, loaded, key, rows, limits)
        return schemas.TagResponse(model=loaded.name, outputs=outputs)


def _other_routes(app: FastAPI, models, limits: Limits, explainer) -> None:
    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "models": sorted(models)}

    @app.get("/v1/models", response_model=schemas.ModelsResponse)
    async def list_models() -> schemas.ModelsResponse:
        return schemas.ModelsResponse(models=[describe(m) for m in models.values()])

    @app.post("/v1/explain")
    async def explain_route(req: schemas.ExplainRequest, request: Request) -> dict:
        request.scope["state"]["log"].update(model="explain", rows=1)
        work = functools.partial(_explained, *_explain_key(req))
        future = asyncio.get_running_loop().run_in_executor(explainer, work)
        try:
            return await asyncio.wait_for(future, limits.timeout)
        except TimeoutError:
            raise DeadlineExceeded from None

    @app.get("/", include_in_schema=False)
    async def studio():
        index = STATIC / "index.html"
        if not index.exists():
            raise ClientError(404, "the studio is not part of this build")
        return FileResponse(index)


def _explain_key(req: schemas.ExplainRequest) -> tuple:
    return (req.text, req.cell, req.hidden_size, req.seed, req.steps, req.lr)


@functools.lru_cache(maxsize=256)
def _explained(text: str, cell: str, hidden_size: int, seed: int, steps: int, lr: float) -> dict:
    """The walk-through of ``seqlab explain`` (deterministic, so answers are cached)."""
    return explain(text=text, cell=cell, hidden_size=hidden_size, seed=seed, steps=steps, lr=lr)


def _stream(request: Request, loaded: LoadedModel, key, rows, limits: Limits):
    """Server-sent events: ``{"sample": i, "text": piece}`` as pieces come, then an ``end``
    event with the whole response (or an ``error`` event)."""
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue = asyncio.Queue()

    def push(sample: int, text: str) -> None:  # called on the inference thread
        loop.call_soon_threadsafe(pieces.put_nowait, {"sample": sample, "text": text})

    work = asyncio.ensure_future(_submit(request, loaded, key, rows, limits, push))

    async def events() -> AsyncIterator[str]:
        while not (work.done() and pieces.empty()):
            getter = asyncio.ensure_future(pieces.get())
            await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield f"data: {json.dumps(getter.result(), ensure_ascii=False)}\n\n"
            else:
                getter.cancel()
        yield _final_event(work, request)

    return StreamingResponse(events(), media_type="text/event-stream")


def _final_event(work: asyncio.Future, request: Request) -> str:
    rid = request.scope["state"]["request_id"]
    error = work.exception()
    if error is None:
        return f"event: end\ndata: {work.result().model_dump_json()}\n\n"
    message = str(error) if isinstance(error, ClientError | SeqlabError) else "internal error"
    if isinstance(error, DeadlineExceeded):
        message = "the request passed its deadline (--timeout-s)"
    data = json.dumps({"error": message, "request_id": rid}, ensure_ascii=False)
    return f"event: error\ndata: {data}\n\n"
