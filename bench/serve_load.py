"""Load test of ``seqlab serve``: many clients translating at once, with batching and without.

    python -m bench.serve_load RUN [--src FILE] [--clients 50] [--seconds 60]
                               [--soak-minutes 10] [--soak-clients 20] [--client-cores 1]
                               [--threads N] [--no-pin]

Starts ``seqlab serve RUN`` as its own process on 127.0.0.1, then for greedy and for beam 5,
first with batching (``--max-batch 32 --max-wait-ms 5``) and then one request at a time
(``--max-batch 1``): ``--clients`` clients each send one sentence per request, the next as soon
as the last is answered, for ``--seconds``. The request loop is bounded in count and in time.
Reports requests/s, sentences/s, latency p50/p95/p99, the count of each status, requests lost
(sent but never answered), and the server's own compute per request: the seconds its inference
thread spent in batched calls (``GET /v1/metrics``) over the requests they answered, with the
mean batch. Then a soak: ``--soak-clients`` clients for ``--soak-minutes``, with the server's
resident memory (RSS) at the start and at the end.

The server and the clients run on separate cores (``bench._serving``): the clients, in this
process, on the last ``--client-cores``, the server on the others with as many torch threads
(``--threads`` to change); ``--no-pin`` lets them share every core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._report import SummaryRow, header, write_section
from bench._serving import (
    Placement,
    ServeOptions,
    Server,
    add_placement_options,
    counted,
    percentile,
    placed,
)
from seqlab.data.io import iter_lines
from seqlab.errors import SeqlabError

MAX_REQUESTS = 1_000_000  # the loop's bound in count (the time bound is --seconds)


@dataclass
class Load:
    """What one load run saw."""

    seconds: float = 0.0
    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    statuses: Counter = field(default_factory=Counter)
    server: dict = field(default_factory=dict)  # what the server ran (bench._serving.counted)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok_per_second(self) -> float:
        return self.statuses.get(200, 0) / self.seconds

    @property
    def compute_ms(self) -> float:
        """The server's compute per request answered, in ms."""
        return 1000 * self.server["compute_s"] / max(1, self.server["requests"])

    @property
    def mean_batch(self) -> float:
        return self.server["rows"] / max(1, self.server["batches"])

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


async def client_loop(url: str, body: dict, sources: list[str], load: Load, stop: float):
    rng = random.Random(len(load.latencies) + load.sent)
    async with httpx.AsyncClient(timeout=120) as client:
        while time.monotonic() < stop and load.sent < MAX_REQUESTS:
            load.sent += 1
            start = time.monotonic()
            try:
                r = await client.post(
                    f"{url}/v1/translate", json={**body, "inputs": [rng.choice(sources)]}
                )
            except httpx.TransportError:
                load.statuses["transport error"] += 1
                continue
            load.statuses[r.status_code] += 1
            if r.status_code == 200:
                load.latencies.append(time.monotonic() - start)


def run_load(url: str, body: dict, sources: list[str], clients: int, seconds: float) -> Load:
    load = Load()

    async def main() -> None:
        stop = time.monotonic() + seconds
        loops = [client_loop(url, body, sources, load, stop) for _ in range(clients)]
        started = time.monotonic()
        await asyncio.gather(*loops)
        load.seconds = time.monotonic() - started

    asyncio.run(main())
    return load


@dataclass(frozen=True)
class Trial:
    """One load run: how the server batches, the decoding, the clients and for how long."""

    max_batch: int
    beam: int
    clients: int
    seconds: float


def measure(args, place: Placement, trial: Trial) -> Load:
    """``trial`` against a fresh server; ``load.server``: what the server computed for it, and
    its resident memory (MB) at the start and at the end."""
    options = ServeOptions(max_batch=trial.max_batch, threads=args.threads)
    with Server([f"m30k={args.run}"], options, place.server) as server:
        before, rss = server.metrics("m30k"), server.rss_mb()
        body = {"model": "m30k", "beam": trial.beam}
        load = run_load(server.url, body, args.sources, trial.clients, trial.seconds)
        load.server = counted(before, server.metrics("m30k"))
        load.server["rss_mb"] = (rss, server.rss_mb())
    return load


TABLE = [
    "| decoding, serving | requests/s | sentences/s | p50 ms | p95 ms | p99 ms | statuses | 5xx "
    "| lost | server ms/request | mean batch |",
    "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
]


def row(name: str, load: Load) -> str:
    rate = load.answered / load.seconds
    fivexx = sum(n for s, n in load.statuses.items() if isinstance(s, int) and s >= 500)
    statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(load.statuses.items(), key=str))
    lost = load.sent - load.answered
    return (
        f"| {name} | {rate:,.1f} | {load.ok_per_second:,.1f} | "
        f"{1000 * load.percentile(50):,.0f} | {1000 * load.percentile(95):,.0f} | "
        f"{1000 * load.percentile(99):,.0f} | {statuses} | {fivexx} | {lost} | "
        f"{load.compute_ms:,.2f} | {load.mean_batch:,.1f} |"
    )


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--src", default="../shared/data/multi30k/val.en.gz")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--soak-minutes", type=float, default=10)
    ap.add_argument("--soak-clients", type=int, default=20)
    add_placement_options(ap)
    ap.add_argument("--name", default="serve-load")
    return ap.parse_args()


def main() -> None:
    args = arguments()
    args.sources = [line for line in iter_lines(args.src) if line.strip()]
    place, args.threads = placed(args)  # --threads 0 becomes the count it stands for
    print(f"{place.describe()}; server --threads {args.threads}", flush=True)
    table, rates = list(TABLE), {}
    for beam in (1, 5):
        for max_batch in (32, 1):
            load = measure(args, place, Trial(max_batch, beam, args.clients, args.seconds))
            name = f"{'greedy' if beam == 1 else 'beam 5'}, " + (
                "batched (max 32, 5 ms)" if max_batch > 1 else "one at a time (--max-batch 1)"
            )
            table.append(row(name, load))
            rates[(beam, max_batch)] = load
            print(table[-1], flush=True)
    soak = []
    if args.soak_minutes > 0:
        load = measure(args, place, Trial(32, 1, args.soak_clients, 60 * args.soak_minutes))
        counts = ", ".join(f"{s}: {n:,}" for s, n in load.statuses.items())
        start_rss, end_rss = load.server["rss_mb"]
        soak = [
            f"Soak: {args.soak_clients} clients, greedy, {args.soak_minutes:g} minutes, "
            f"{load.answered:,} requests ({counts}, {load.sent - load.answered} lost); server "
            f"RSS {start_rss:,.0f} MB at the start, {end_rss:,.0f} MB at the end.",
        ]
        print(soak[0])
    write(args, place, table, rates, soak)


def gains(rates: dict, beam: int) -> tuple[float, float]:
    """Batched over one at a time: (sentences/s ratio, server compute per request ratio)."""
    one, many = rates[(beam, 1)], rates[(beam, 32)]
    return many.ok_per_second / one.ok_per_second, one.compute_ms / many.compute_ms


def write(args, place: Placement, table: list[str], rates: dict, soak: list[str]) -> None:
    (greedy, greedy_compute), (beam, beam_compute) = gains(rates, 1), gains(rates, 5)
    batched, one = rates[(1, 32)], rates[(1, 1)]
    greedy_p99 = 1000 * batched.percentile(99)
    where = f"{place.describe()}; server --threads {args.threads}"
    body = "\n".join(
        [
            *header(f"seqlab serve under load ({args.name})", where),
            f"Run `{args.run}`, sentences from `{args.src}`, one per request; {args.clients} "
            f"clients for {args.seconds:g} s per row, each sending its next request when the "
            f"last is answered. The clients run in one process, {place.describe()}. Server "
            "ms/request: the seconds the server's inference thread spent in batched calls "
            "(`GET /v1/metrics`) over the requests they answered, so it leaves out the clients, "
            "the HTTP and the queueing; mean batch: rows per batched call.",
            "",
            *table,
            "",
            f"Batching gives {greedy:.2f}x the sentences/s of one at a time for greedy decoding "
            f"and {beam:.2f}x for beam 5. The server's own compute per request, one at a time "
            f"over batched: greedy {one.compute_ms:,.2f} / {batched.compute_ms:,.2f} ms = "
            f"{greedy_compute:.2f}x, beam 5 {beam_compute:.2f}x. Goals: no 5xx and no lost "
            f"request at {args.clients} clients, batching at least 4x, greedy p99 under 2 s "
            f"(here {greedy_p99:,.0f} ms).",
            "",
            *soak,
        ]
    )
    summary = [
        SummaryRow(
            what=f"seqlab serve, {args.clients} clients, greedy, batched",
            result=f"{batched.ok_per_second:,.1f} sentences/s, p99 {greedy_p99:,.0f} ms; "
            f"server {batched.compute_ms:,.2f} ms/request",
            goal=">= 4x one at a time, p99 < 2 s",
            anchor=f"{greedy:.2f}x one at a time ({greedy_compute:.2f}x in server compute)",
        ),
    ]
    write_section(args.name, body, summary=summary)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    try:
        main()
    except SeqlabError as e:
        raise SystemExit(f"error: {e}") from None
