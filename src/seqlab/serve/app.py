"""The FastAPI application: ``/health``, ``/v1/...`` and the studio at ``/``.

Every model answers from its own inference thread through its batcher; the event loop only
parses, checks, queues and replies. Errors are JSON ``{"error": one line, "request_id": ...}``
(:mod:`seqlab.serve.errors`):

    400 wrong route for the model     404 unknown model (lists the loaded ones) or path
    401 missing or wrong API key      405 wrong method            413 body over the limit
    422 malformed, mistyped or out-of-range field, or an input too long (named)
    503 queue full (Retry-After)      504 deadline passed         500 a bug (its request id)
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from seqlab.serve.errors import add_error_handlers
from seqlab.serve.limits import Limits
from seqlab.serve.middleware import RequestContext
from seqlab.serve.registry import Registry, attach_batchers
from seqlab.serve.routes import STATIC, api, public

__all__ = ["Limits", "create_app"]


def create_app(served: Registry, limits: Limits = Limits(), api_key: str | None = None) -> FastAPI:
    """The application serving ``served`` (already loaded; each app batches on its own)."""
    served = {name: dataclasses.replace(one) for name, one in served.items()}
    executors = {name: ThreadPoolExecutor(1, f"seqlab-{name}") for name in served}
    batching = {"max_batch": limits.max_batch, "max_wait": limits.max_wait}
    attach_batchers(served, executors, **batching, max_queue=limits.max_queue)
    explainer = ThreadPoolExecutor(1, "seqlab-explain")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for one in served.values():
            one.batcher.start()
        yield
        for one in served.values():
            await one.batcher.stop()
        for pool in (*executors.values(), explainer):
            pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="seqlab", version="1", lifespan=lifespan)
    app.state.served, app.state.limits, app.state.api_key = served, limits, api_key
    app.state.explainer = explainer
    app.add_middleware(RequestContext, max_body=limits.max_body)
    add_error_handlers(app)
    app.include_router(public)
    app.include_router(api)
    if (STATIC / "index.html").exists():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
