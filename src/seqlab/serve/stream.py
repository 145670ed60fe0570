"""Server-sent events of a generation: ``{"sample": i, "text": piece}`` as pieces are made,
then an ``end`` event with the whole response (or an ``error`` event).

The pieces come from the inference thread (the batch's ``stream`` callback); each is handed to
the event loop at once, so a client sees it while the rest is still being made. When the
client goes (the studio's Stop button), the callback raises :class:`StreamClosed`, and a batch
whose every request has gone stops generating.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Request
from fastapi.responses import StreamingResponse

from seqlab.errors import SeqlabError
from seqlab.serve.batcher import DeadlineExceeded, StreamClosed
from seqlab.serve.errors import LATE, ClientError

Push = Callable[[int, str], None]


def event_stream(request: Request, start: Callable[[Push], Awaitable]) -> StreamingResponse:
    """The response streaming what ``start(push)`` pushes, then its result."""
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue = asyncio.Queue()
    closed = threading.Event()  # the client has gone

    def push(sample: int, text: str) -> None:  # called on the inference thread
        if closed.is_set():
            raise StreamClosed
        loop.call_soon_threadsafe(pieces.put_nowait, {"sample": sample, "text": text})

    work = asyncio.ensure_future(start(push))

    async def events() -> AsyncIterator[str]:
        try:
            while not (work.done() and pieces.empty()):
                getter = asyncio.ensure_future(pieces.get())
                await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield f"data: {json.dumps(getter.result(), ensure_ascii=False)}\n\n"
                else:
                    getter.cancel()
            yield _final_event(work, request)
        finally:  # sent in full, or the client went: no more pieces are wanted
            closed.set()
            work.add_done_callback(_retrieve)

    return StreamingResponse(events(), media_type="text/event-stream")


def _retrieve(work: asyncio.Future) -> None:
    """Read the outcome of work nobody waits for any more (a stream whose client went)."""
    if not work.cancelled():
        work.exception()


def _final_event(work: asyncio.Future, request: Request) -> str:
    rid = request.scope["state"]["request_id"]
    error = work.exception()
    if error is None:
        return f"event: end\ndata: {work.result().model_dump_json()}\n\n"
    message = str(error) if isinstance(error, ClientError | SeqlabError) else "internal error"
    if isinstance(error, DeadlineExceeded):
        message = LATE
    data = json.dumps({"error": message, "request_id": rid}, ensure_ascii=False)
    return f"event: error\ndata: {data}\n\n"
