"""The server's limits: how requests are batched, queued, timed and sized."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """max_batch rows per call; max_wait seconds a batch waits to fill; max_queue rows waiting
    per model; timeout seconds a request may take; max_body bytes of a request body."""

    max_batch: int = 32
    max_wait: float = 0.005
    max_queue: int = 256
    timeout: float = 30.0
    max_body: int = 1 << 20
