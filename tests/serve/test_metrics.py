"""GET /v1/metrics: per model, the batches run, the requests and rows in them, and the seconds
the model spent computing them, timed on its inference thread."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from seqlab.serve.app import Limits


def _metrics(url: str) -> dict:
    reply = httpx.get(f"{url}/v1/metrics", timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()["models"]


def test_metrics_count_batches_requests_rows_and_compute_seconds(app_factory, serving):
    """The first request's batch is held on the inference thread while seven more queue; they
    then run as one batch. The held seconds are the model's compute as the server sees it."""
    app = app_factory(Limits(max_batch=32, max_wait=0.0))
    batcher = app.state.served["sentiment"].batcher
    gate, started, run = threading.Event(), threading.Event(), batcher.run

    def held(key, jobs):
        if not started.is_set():
            started.set()
            gate.wait(20)
        return run(key, jobs)

    batcher.run = held
    body = {"model": "sentiment", "inputs": ["good"]}
    with serving(app) as url:
        before = _metrics(url)

        async def load() -> tuple[list[int], float]:
            async with httpx.AsyncClient(timeout=60) as client:
                first = asyncio.ensure_future(client.post(f"{url}/v1/classify", json=body))
                assert await asyncio.to_thread(started.wait, 20)
                seen = time.perf_counter()
                rest = [
                    asyncio.ensure_future(client.post(f"{url}/v1/classify", json=body))
                    for _ in range(7)
                ]
                deadline = time.monotonic() + 20
                while batcher.pending < 8:  # all seven queued behind the held batch
                    assert time.monotonic() < deadline, batcher.pending
                    await asyncio.sleep(0.005)
                gate.set()
                held_for = time.perf_counter() - seen
                replies = await asyncio.gather(first, *rest)
                return [r.status_code for r in replies], held_for

        statuses, held_for = asyncio.run(load())
        after = _metrics(url)
    assert statuses == [200] * 8
    assert before["sentiment"] == {
        "batches": 0,
        "requests": 0,
        "rows": 0,
        "compute_s": 0.0,
        "pending": 0,
    }
    counted = after["sentiment"]
    assert (counted["batches"], counted["requests"], counted["rows"]) == (2, 8, 8)
    assert counted["pending"] == 0
    assert counted["compute_s"] >= held_for  # the hold was inside the timed call
    assert set(after) == set(before) and after["lm"]["batches"] == 0


def test_a_request_of_several_rows_counts_them(app_factory, serving):
    with serving(app_factory()) as url:
        reply = httpx.post(
            f"{url}/v1/classify", json={"model": "sentiment", "inputs": ["good", "bad", "ok"]}
        )
        assert reply.status_code == 200
        counted = _metrics(url)["sentiment"]
    assert (counted["batches"], counted["requests"], counted["rows"]) == (1, 1, 3)
    assert counted["compute_s"] > 0
