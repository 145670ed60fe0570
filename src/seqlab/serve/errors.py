"""Every error the server answers, as JSON ``{"error": one line, "request_id": ...}``.

The API's own errors (:class:`ClientError`, bad input, a full queue, a passed deadline) and
the framework's (404 for an unknown path, 405 for a wrong method, 400 for a body it cannot
parse) share that shape, so a client reads every error the same way.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from seqlab.errors import SeqlabError
from seqlab.serve.batcher import DeadlineExceeded, QueueFull

LATE = "the request passed its deadline (--timeout-s)"


class ClientError(Exception):
    """A request the server refuses: ``status`` and one line naming the field or input."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(" ".join(message.split()))
        self.status, self.headers = status, headers or {}


def reply(request: Request, status: int, message: str, headers=None) -> JSONResponse:
    """The error body of every status, with the request's id."""
    rid = request.scope["state"]["request_id"]
    body = {"error": " ".join(message.split()), "request_id": rid}
    return JSONResponse(body, status_code=status, headers=headers)


def _framework_message(request: Request, e: HTTPException) -> str:
    """One line for the framework's own refusals (its default detail is a bare phrase)."""
    where = f"{request.method} {request.url.path}"
    if e.status_code == 404:
        return f"{where}: no such route; the API is under /v1 (see /docs)"
    if e.status_code == 405:
        allowed = (e.headers or {}).get("allow") or (e.headers or {}).get("Allow") or "another"
        return f"{where}: method not allowed; use {allowed}"
    return f"{where}: {e.detail}"


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error in the shape of the module docstring. A request spells each decoding
    option as the library does (``n_best``), so a strategy's error names the field as it is."""

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

    @app.exception_handler(HTTPException)
    async def framework(request: Request, e: HTTPException):
        return reply(request, e.status_code, _framework_message(request, e), e.headers)

    @app.exception_handler(QueueFull)
    async def busy(request: Request, e: QueueFull):
        message = "the queue for this model is full; retry in a second"
        return reply(request, 503, message, {"Retry-After": "1"})

    @app.exception_handler(DeadlineExceeded)
    async def late(request: Request, e: DeadlineExceeded):
        return reply(request, 504, LATE)
