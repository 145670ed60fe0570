"""Load test of ``seqlab serve``: many clients translating at once, with batching and without.

    python -m bench.serve_load RUN [--src FILE] [--clients 50] [--seconds 60]
                               [--soak-minutes 10] [--soak-clients 20] [--threads 2]

Starts ``seqlab serve RUN`` as its own process on 127.0.0.1, then for greedy and for beam 5,
first with batching (``--max-batch 32 --max-wait-ms 5``) and then one request at a time
(``--max-batch 1``): ``--clients`` clients each send one sentence per request, the next as soon
as the last is answered, for ``--seconds``. The request loop is bounded in count and in time.
Reports requests/s, sentences/s, latency p50/p95/p99, the count of each status, and requests
lost (sent but never answered). Then a soak: ``--soak-clients`` clients for ``--soak-minutes``,
with the server's resident memory (RSS) at the start and at the end.

The clients run in this process, on the same 2 cores as the server: the figures include that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._report import SummaryRow, header, write_section
from seqlab.data.io import iter_lines

MAX_REQUESTS = 1_000_000  # the loop's bound in count (the time bound is --seconds)


@dataclass
class Load:
    """What one load run saw."""

    seconds: float = 0.0
    sent: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    statuses: Counter = field(default_factory=Counter)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``seqlab serve`` in its own process."""

    def __init__(self, run: Path, max_batch: int, threads: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "seqlab", "serve", f"m30k={run}", "--port", str(self.port)]
        args += ["--max-batch", str(max_batch), "--threads", str(threads), "--max-queue", "4096"]
        self.proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("seqlab serve did not start")

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


def row(name: str, load: Load) -> str:
    rate = load.answered / load.seconds
    ok = load.statuses.get(200, 0) / load.seconds
    fivexx = sum(n for s, n in load.statuses.items() if isinstance(s, int) and s >= 500)
    statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(load.statuses.items(), key=str))
    lost = load.sent - load.answered
    return (
        f"| {name} | {rate:,.1f} | {ok:,.1f} | {1000 * load.percentile(50):,.0f} | "
        f"{1000 * load.percentile(95):,.0f} | {1000 * load.percentile(99):,.0f} | "
        f"{statuses} | {fivexx} | {lost} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--src", default="../shared/data/multi30k/val.en.gz")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--soak-minutes", type=float, default=10)
    ap.add_argument("--soak-clients", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="serve-load")
    args = ap.parse_args()
    sources = [line for line in iter_lines(args.src) if line.strip()]
    table = [
        "| decoding, serving | requests/s | sentences/s | p50 ms | p95 ms | p99 ms | statuses "
        "| 5xx | lost |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    rates = {}
    for beam in (1, 5):
        for max_batch in (32, 1):
            with Server(args.run, max_batch, args.threads) as server:
                body = {"model": "m30k", "beam": beam}
                load = run_load(server.url, body, sources, args.clients, args.seconds)
            name = f"{'greedy' if beam == 1 else 'beam 5'}, " + (
                "batched (max 32, 5 ms)" if max_batch > 1 else "one at a time (--max-batch 1)"
            )
            table.append(row(name, load))
            rates[(beam, max_batch)] = load
            print(table[-1], flush=True)
    soak = []
    if args.soak_minutes > 0:
        with Server(args.run, 32, args.threads) as server:
            start_rss = server.rss_mb()
            body = {"model": "m30k", "beam": 1}
            load = run_load(server.url, body, sources, args.soak_clients, args.soak_minutes * 60)
            end_rss = server.rss_mb()
        counts = ", ".join(f"{s}: {n:,}" for s, n in load.statuses.items())
        soak = [
            f"Soak: {args.soak_clients} clients, greedy, {args.soak_minutes:g} minutes, "
            f"{load.answered:,} requests ({counts}, {load.sent - load.answered} lost); server "
            f"RSS {start_rss:,.0f} MB at the start, {end_rss:,.0f} MB at the end.",
        ]
        print(soak[0])
    write(args, table, rates, soak)


def write(args, table: list[str], rates: dict, soak: list[str]) -> None:
    def speedup(beam: int) -> float:
        one, many = rates[(beam, 1)], rates[(beam, 32)]
        return (many.statuses.get(200, 0) / many.seconds) / (one.statuses.get(200, 0) / one.seconds)

    greedy_p99 = 1000 * rates[(1, 32)].percentile(99)
    body = "\n".join(
        [
            *header(f"seqlab serve under load ({args.name})"),
            f"Run `{args.run}`, sentences from `{args.src}`, one per request; {args.clients} "
            f"clients for {args.seconds:g} s per row, each sending its next request when the "
            f"last is answered; the server and the clients share the machine's cores "
            f"(server: --threads {args.threads}).",
            "",
            *table,
            "",
            f"Batching gives {speedup(1):.2f}x the sentences/s of one at a time for greedy "
            f"decoding and {speedup(5):.2f}x for beam 5. Goals: no 5xx and no lost request at "
            f"{args.clients} clients, batching at least 4x, greedy p99 under 2 s "
            f"(here {greedy_p99:,.0f} ms).",
            "",
            *soak,
        ]
    )
    summary = [
        SummaryRow(
            what=f"seqlab serve, {args.clients} clients, greedy, batched",
            result=f"{rates[(1, 32)].statuses.get(200, 0) / rates[(1, 32)].seconds:,.1f} "
            f"sentences/s, p99 {greedy_p99:,.0f} ms",
            goal=">= 4x one at a time, p99 < 2 s",
            anchor=f"{speedup(1):.2f}x one at a time",
        ),
    ]
    write_section(args.name, body, summary=summary)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
