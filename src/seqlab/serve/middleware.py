"""What wraps every request: an id, the body-size limit, one JSON log line.

A plain ASGI middleware, so it sees the body as it arrives: a body over the limit is refused
with 413 whether or not the client said its length up front (``Content-Length``).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

log = logging.getLogger("seqlab.serve")


class BodyTooLarge(Exception):
    pass


def _log_line(rid: str, fields: dict, status: int, started: float) -> bool:
    """Write a request's one JSON log line. It is written before the reply's last body chunk
    is sent, so a client that has its whole reply finds the line already in the log."""
    entry = {"id": rid, **fields, "status": status}
    entry["ms"] = round(1000 * (time.monotonic() - started), 1)
    log.info(json.dumps(entry))
    return True


class RequestContext:
    """Request ids, the body limit and the request log (the API key is a route dependency)."""

    def __init__(self, app, *, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:12]
        state = scope.setdefault("state", {})
        state.update(request_id=rid, log={"route": scope["path"]})
        started, status, body = time.monotonic(), {"code": 0, "replaced": False}, {"over": False}
        logged = []

        def write_log() -> None:  # once: before the last body chunk leaves, or at the end
            if not logged:
                logged.append(_log_line(rid, state["log"], status["code"], started))

        async def send_logged(message: dict) -> None:
            if body["over"]:  # the app answered a body it could not read: it was too large
                if not status["replaced"]:
                    status["replaced"] = True
                    await _send_json(send_logged_raw, 413, self._too_large, rid)
                return
            await send_logged_raw(message)

        async def send_logged_raw(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                write_log()
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                code, message, headers = refusal
                await _send_json(send_logged, code, message, rid, headers)
                return
            await self.app(scope, self._limited(receive, body), send_logged)
        except BodyTooLarge:
            if not status["code"]:
                await _send_json(send_logged_raw, 413, self._too_large, rid)
        except Exception:  # a bug: the client gets its request id, the log the traceback
            log.exception("request %s failed", rid)
            if not status["code"]:
                message = f"internal error; the server log has its traceback under id {rid}"
                await _send_json(send_logged, 500, message, rid)
        finally:
            write_log()  # a request that ended without a complete reply

    def _refusal(self, scope) -> tuple[int, str, dict] | None:
        """(status, message, headers) when the request is refused before it is read."""
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            return 413, self._too_large, {}
        return None

    @property
    def _too_large(self) -> str:
        return f"request body over {self.max_body:,} bytes"

    def _limited(self, receive, body: dict):
        """``receive`` that counts the body and stops at the limit (``body["over"]``)."""
        seen = {"bytes": 0}

        async def receive_limited() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
                if seen["bytes"] > self.max_body:
                    body["over"] = True
                    raise BodyTooLarge
            return message

        return receive_limited


async def _send_json(send, status: int, message: str, rid: str, headers: dict | None = None):
    body = json.dumps({"error": message, "request_id": rid}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
