"""Merging concurrent requests into batched calls, invisibly to each request.

    request --submit(key, rows)--> queue of its key (model, route, decoding options)
    worker:  pick the next key with work, round robin (so no options group waits long)
             wait up to max_wait for more rows of that key, take up to max_batch rows
             run one batched call on the inference thread; hand each request its own results

Only requests with the same key share a call, and every model is decoded row by row, so a
request's result is what it would be alone. The worker is a coroutine on the event loop; the
call itself runs on a thread (torch releases the GIL), so the loop keeps accepting requests.
The worker counts what it ran (:class:`Counters`): batches, requests, rows, and the seconds of
the calls as the inference thread timed them, so the model's own time per request shows apart
from the queueing, the HTTP and the clients' cost.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any


class QueueFull(Exception):
    """More rows are waiting than the queue holds: the client should retry later."""


class DeadlineExceeded(Exception):
    """The request waited (or ran) past its timeout."""


class StreamClosed(Exception):
    """The client of a streamed request has gone: raised by its ``stream`` callback."""


@dataclass
class Job:
    """One request's rows, waiting for a batch."""

    key: Hashable
    rows: list[Any]
    deadline: float
    future: asyncio.Future
    enqueued: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    batch_rows: int = 0  # rows of the batch it joined
    stream: Callable[[int, str], None] | None = None  # pieces of output as they are made


@dataclass
class Counters:
    """What a batcher has run since it started: the batched calls that returned, the requests
    and rows in them, and the seconds the inference thread spent in those calls (wall time)."""

    batches: int = 0
    requests: int = 0
    rows: int = 0
    compute_seconds: float = 0.0


Runner = Callable[[Hashable, list[Job]], list[Any]]
"""run(key, jobs) -> one result per job; called on the inference thread."""


class Batcher:
    """Batches the jobs of one model; ``start()`` its worker, ``submit()`` from handlers."""

    def __init__(
        self,
        run: Runner,
        executor: Executor,
        *,
        max_batch: int = 32,
        max_wait: float = 0.005,
        max_queue: int = 256,
    ):
        self.run, self.executor = run, executor
        self.max_batch, self.max_wait, self.max_queue = max_batch, max_wait, max_queue
        self.queues: OrderedDict[Hashable, deque[Job]] = OrderedDict()
        self.waiting = 0  # rows queued
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.counters = Counters()

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._work())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    @property
    def pending(self) -> int:
        """Rows waiting or running."""
        return self.waiting

    async def submit(
        self, key: Hashable, rows: list[Any], timeout: float, stream=None
    ) -> tuple[Any, Job]:
        """This request's result, computed in a batch with others of the same ``key``;
        ``stream(sample, text)`` (called on the inference thread) receives output pieces."""
        if self.waiting + len(rows) > self.max_queue:
            raise QueueFull
        loop = asyncio.get_running_loop()
        job = Job(key, rows, time.monotonic() + timeout, loop.create_future(), stream=stream)
        self.queues.setdefault(key, deque()).append(job)
        self.waiting += len(rows)
        self.wake.set()
        try:
            result = await asyncio.wait_for(asyncio.shield(job.future), timeout)
        except TimeoutError:
            raise DeadlineExceeded from None
        return result, job

    async def _work(self) -> None:
        while True:
            key = self._next_key()
            if key is None:  # nothing waits: sleep until a request comes
                self.wake.clear()
                await self.wake.wait()
                continue
            await self._gather(key)
            jobs = self._take(key)
            if jobs:
                await self._run(key, jobs)

    def _next_key(self) -> Hashable | None:
        """The oldest-served key that has work; it moves to the back (round robin)."""
        for key in list(self.queues):
            queue = self.queues[key]
            if queue:
                self.queues.move_to_end(key)
                return key
            del self.queues[key]
        return None

    async def _gather(self, key: Hashable) -> None:
        """Wait until ``key`` has a full batch or its oldest job has waited ``max_wait``."""
        queue = self.queues[key]
        while sum(len(j.rows) for j in queue) < self.max_batch:
            left = queue[0].enqueued + self.max_wait - time.monotonic()
            if left <= 0:
                return
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), left)
            except TimeoutError:
                return

    def _take(self, key: Hashable) -> list[Job]:
        """Jobs of ``key`` up to ``max_batch`` rows (a larger job runs alone); late ones fail."""
        queue, jobs, rows, now = self.queues[key], [], 0, time.monotonic()
        while queue and (not jobs or rows + len(queue[0].rows) <= self.max_batch):
            job = queue.popleft()
            if job.future.done() or job.deadline <= now:  # its caller has stopped waiting
                self.waiting -= len(job.rows)
                continue
            jobs.append(job)
            rows += len(job.rows)
        return jobs

    async def _run(self, key: Hashable, jobs: list[Job]) -> None:
        rows = sum(len(j.rows) for j in jobs)
        start = time.monotonic()
        for job in jobs:
            job.started, job.batch_rows = start, rows
        loop = asyncio.get_running_loop()
        try:
            results, seconds = await loop.run_in_executor(self.executor, self._timed, key, jobs)
        except Exception as e:  # every request of the batch gets the error
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(e)
        else:
            self._count(jobs, rows, seconds)
            for job, result in zip(jobs, results, strict=True):
                if not job.future.done():
                    job.future.set_result(result)
        finally:
            self.waiting -= rows
            for job in jobs:
                job.finished = time.monotonic()

    def _timed(self, key: Hashable, jobs: list[Job]) -> tuple[list[Any], float]:
        """The batched call and its seconds, on the inference thread."""
        start = time.perf_counter()
        results = self.run(key, jobs)
        return results, time.perf_counter() - start

    def _count(self, jobs: list[Job], rows: int, seconds: float) -> None:
        counters = self.counters
        counters.batches += 1
        counters.requests += len(jobs)
        counters.rows += rows
        counters.compute_seconds += seconds
