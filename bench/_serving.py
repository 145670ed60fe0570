"""``seqlab serve`` in its own process, pinned to its own cores, for the serving benchmarks
(``bench.serve_load`` and ``bench.serve_stream``).

    cores of this machine  ->  split_cores  ->  server: all but the last (its process pinned)
                                                clients: the last (this process pinned)

Pinning (``os.sched_setaffinity``, as ``taskset`` does) keeps the clients' HTTP work off the
server's cores, so a load test measures the server. With 2 cores the server has one; its own
compute per request comes from ``GET /v1/metrics`` (seconds timed on its inference thread),
which no client shares.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from seqlab.errors import SeqlabError

CAN_PIN = hasattr(os, "sched_setaffinity")


@dataclass(frozen=True)
class Placement:
    """Which cores the server and the clients run on; ``None``: not pinned (shared)."""

    server: tuple[int, ...] | None
    clients: tuple[int, ...] | None

    def describe(self) -> str:
        if self.server is None or self.clients is None:
            return "server and clients share every core (not pinned)"
        return (
            f"server pinned to core{_s(self.server)} {_cores(self.server)}, clients to "
            f"core{_s(self.clients)} {_cores(self.clients)} (os.sched_setaffinity, as taskset)"
        )


def _s(cores: Sequence[int]) -> str:
    return "s" if len(cores) > 1 else ""


def _cores(cores: Sequence[int]) -> str:
    return ",".join(map(str, cores))


def split_cores(cores: Sequence[int], clients: int = 1) -> Placement:
    """The last ``clients`` of ``cores`` for the clients, the others for the server; with too
    few cores to split, nothing is pinned."""
    ordered = tuple(sorted(cores))
    if clients < 1 or len(ordered) <= clients:
        return Placement(None, None)
    return Placement(ordered[:-clients], ordered[-clients:])


def add_placement_options(ap: argparse.ArgumentParser) -> None:
    """--client-cores, --no-pin and --threads (read back by :func:`placed`)."""
    ap.add_argument("--client-cores", type=int, default=1, help="cores for the clients")
    ap.add_argument("--no-pin", action="store_true", help="server and clients share the cores")
    ap.add_argument("--threads", type=int, default=0, help="server threads; 0: its cores")


def placed(args: argparse.Namespace) -> tuple[Placement, int]:
    """The placement the options ask for, with this thread (the clients) pinned to its cores,
    and the server's torch threads."""
    place = placement(not args.no_pin, args.client_cores)
    pin_here(place.clients)
    return place, server_threads(args.threads, place)


def placement(pin: bool, clients: int = 1) -> Placement:
    """This machine's split (cores this process may use), or none without ``pin``."""
    if not (pin and CAN_PIN):
        return Placement(None, None)
    return split_cores(sorted(os.sched_getaffinity(0)), clients)


def server_threads(requested: int, place: Placement) -> int:
    """The server's torch threads: ``requested``, else one per core it runs on."""
    if requested:
        return requested
    return len(place.server) if place.server is not None else os.cpu_count() or 1


def pin_here(cores: Sequence[int] | None) -> None:
    """Pin this thread, and the threads it starts from now on, to ``cores`` (None: leave)."""
    if cores is not None:
        os.sched_setaffinity(0, cores)


def start_pinned(
    args: list[str], cores: Sequence[int] | None, stdout=None, stderr=subprocess.DEVNULL
) -> subprocess.Popen:
    """Start ``args``, its process pinned to ``cores`` before it runs anything (so every thread
    it starts inherits them); its stderr is dropped unless ``stderr`` says where."""
    return subprocess.Popen(
        args,
        stdout=stdout,
        stderr=stderr,
        preexec_fn=None if cores is None else (lambda: pin_here(cores)),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class ServeOptions:
    """How ``seqlab serve`` batches: ``max_batch`` rows a call, ``max_wait_ms`` to fill one;
    ``threads`` torch threads; ``timeout_s`` a request's deadline."""

    max_batch: int = 32
    max_wait_ms: float = 5.0
    threads: int = 1
    timeout_s: float = 120.0

    def flags(self) -> list[str]:
        return [
            *("--max-batch", str(self.max_batch), "--max-wait-ms", f"{self.max_wait_ms:g}"),
            *("--threads", str(self.threads), "--timeout-s", f"{self.timeout_s:g}"),
            *("--max-queue", "4096"),
        ]


class Server:
    """``seqlab serve NAME=RUN ...`` in its own process on 127.0.0.1, pinned to ``cores``."""

    def __init__(self, specs: list[str], options: ServeOptions, cores: Sequence[int] | None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "seqlab", "serve", *specs, "--port", str(self.port)]
        self.log = tempfile.TemporaryFile()  # the server's stderr: its reason when it fails
        self.proc = start_pinned([*args, *options.flags()], cores, stderr=self.log)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.log.seek(0)
        said = self.log.read().decode(errors="replace").strip().splitlines()
        self.__exit__()
        raise SeqlabError("seqlab serve did not start" + (f": {said[-1]}" if said else ""))

    def metrics(self, model: str) -> dict:
        """The model's counters (GET /v1/metrics): batches, requests, rows, compute_s."""
        return httpx.get(f"{self.url}/v1/metrics", timeout=30).json()["models"][model]

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def counted(before: dict, after: dict) -> dict:
    """What the server ran between two readings of its counters."""
    return {k: after[k] - before[k] for k in ("batches", "requests", "rows", "compute_s")}


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0
