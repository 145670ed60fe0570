"""Streamed generation from ``seqlab serve``: time to first token and tokens/s per stream, for
one stream alone and for many at once.

    python -m bench.serve_stream RUN [--streams 1,20] [--max-tokens 200] [--prime "The "]
                                 [--rounds 5] [--max-wait-ms 5] [--client-cores 1]
                                 [--threads N] [--no-pin]

Starts ``seqlab serve lm=RUN`` (a language model) as its own process, pinned to its own cores
as in ``bench.serve_load``. For each count in ``--streams``, ``--rounds`` times: that many
clients at once ask ``/v1/generate`` for ``--max-tokens`` tokens after ``--prime`` with
``stream: true`` (temperature 0.8, no seed, so all share one batch key) and read the
server-sent events as they come. Per stream: the time to first token (TTFT: from sending the
request to the first event carrying a generated token; the prime comes back first and does not
count), and its tokens/s from the first token to the last. Also the tokens/s of all streams
together, the batched calls the server ran per round and its compute per token
(``GET /v1/metrics``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._report import SummaryRow, header, write_section
from bench._serving import ServeOptions, Server, add_placement_options, counted, percentile, placed
from seqlab.errors import SeqlabError


@dataclass(frozen=True)
class Stream:
    """One streamed request, its times in seconds from sending it."""

    sent: float  # time.perf_counter() when it was sent
    first: float  # the first generated token came
    last: float  # the last generated token came
    tokens: int  # events carrying generated tokens

    @property
    def rate(self) -> float:
        """Tokens/s after the first token (the pace a reader sees)."""
        return (self.tokens - 1) / (self.last - self.first) if self.last > self.first else 0.0


class StreamError(RuntimeError):
    """The server answered a stream with an error: reported on one line, not a traceback."""


async def one_stream(client: httpx.AsyncClient, url: str, body: dict) -> Stream:
    """Send ``body``, read its events to the end; the times are from sending it."""
    start, text, first, last, tokens = time.perf_counter(), "", None, 0.0, 0
    async with client.stream("POST", f"{url}/v1/generate", json=body) as reply:
        if reply.status_code != 200:
            raise StreamError(f"/v1/generate: status {reply.status_code}")
        event = "message"
        async for line in reply.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "error":  # not a shorter stream
                raise StreamError(f"/v1/generate: the stream ended in an error: {line[6:]}")
            elif line.startswith("data: ") and event == "message":
                text += json.loads(line[6:])["text"]
                if first is None and len(text) > len(body["prime"]):
                    first = time.perf_counter() - start
                if first is not None:
                    last, tokens = time.perf_counter() - start, tokens + 1
    if first is None:
        raise StreamError("/v1/generate: the stream carried no generated token")
    return Stream(start, first, last, tokens)


@dataclass
class Round:
    """Streams that ran at once, and what the server ran for them."""

    streams: list[Stream]
    server: dict

    @property
    def seconds(self) -> float:
        """From the first request sent to the last token received."""
        return max(s.sent + s.last for s in self.streams) - min(s.sent for s in self.streams)


def stream_round(server: Server, body: dict, count: int) -> Round:
    async def main() -> list[Stream]:
        limits = httpx.Limits(max_connections=count + 1)
        async with httpx.AsyncClient(timeout=600, limits=limits) as client:
            return await asyncio.gather(
                *(one_stream(client, server.url, body) for _ in range(count))
            )

    before = server.metrics("lm")
    streams = asyncio.run(main())
    return Round(streams, counted(before, server.metrics("lm")))


def row(count: int, rounds: list[Round]) -> dict:
    """The figures of ``count`` streams at once over ``rounds``."""
    streams = [s for r in rounds for s in r.streams]
    ttft = [1000 * s.first for s in streams]
    tokens, seconds = sum(s.tokens for s in streams), sum(r.seconds for r in rounds)
    compute = sum(r.server["compute_s"] for r in rounds)
    return {
        "count": count,
        "ttft_p50": percentile(ttft, 50),
        "ttft_max": max(ttft),
        "rate": statistics.median(s.rate for s in streams),
        "total": tokens / seconds,
        "batches": sum(r.server["batches"] for r in rounds) / len(rounds),
        "ms_per_token": 1000 * compute / max(1, tokens),
    }


def line(f: dict) -> str:
    return (
        f"| {f['count']} | {f['ttft_p50']:,.0f} | {f['ttft_max']:,.0f} | {f['rate']:,.0f} | "
        f"{f['total']:,.0f} | {f['batches']:.1f} | {f['ms_per_token']:.3f} |"
    )


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--streams", default="1,20", help="stream counts, comma-separated")
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--prime", default="The ")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-wait-ms", type=float, default=5.0, help="the server's batching wait")
    add_placement_options(ap)
    ap.add_argument("--name", default="serve-stream")
    return ap.parse_args()


def main() -> None:
    args = arguments()
    place, threads = placed(args)
    body = {"model": "lm", "prime": args.prime, "max_tokens": args.max_tokens, "stream": True}
    figures = []
    options = ServeOptions(max_wait_ms=args.max_wait_ms, threads=threads)
    with Server([f"lm={args.run}"], options, place.server) as server:
        stream_round(server, body, 1)  # warm-up
        for count in map(int, args.streams.split(",")):
            rounds = [stream_round(server, body, count) for _ in range(args.rounds)]
            figures.append(row(count, rounds))
            print(line(figures[-1]), flush=True)
    write(args, f"{place.describe()}; server --threads {threads}", figures)


def write(args, where: str, figures: list[dict]) -> None:
    body = "\n".join(
        [
            *header(f"seqlab serve, streamed generation ({args.name})", where),
            f"Run `{args.run}`: {args.rounds} rounds of each count of streams at once, each "
            f"asking for {args.max_tokens} tokens after {args.prime!r} (temperature 0.8, no "
            "seed: one batch key), read as server-sent events by clients in one process "
            f"(--max-batch 32, --max-wait-ms {args.max_wait_ms:g}). TTFT: from sending to the "
            "first event carrying a generated token. Per stream: tokens/s from its first token "
            "to its last (median); all: every stream's tokens over the time from a round's "
            "first request to its last token. Batches: batched calls the server ran per round; "
            "server ms/token: their compute (`GET /v1/metrics`) per token.",
            "",
            "| streams at once | TTFT p50 ms | TTFT max ms | tokens/s per stream | tokens/s, all "
            "| batches per round | server ms/token |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            *map(line, figures),
            "",
            "A stream joins a batch only when the batch starts: one that comes while another "
            "generates waits for it to end, and its TTFT shows that.",
        ]
    )
    summary = [
        SummaryRow(
            what=f"seqlab serve, streamed generation, {f['count']} stream"
            f"{'s' if f['count'] > 1 else ''} at once",
            result=f"TTFT p50 {f['ttft_p50']:,.0f} ms (max {f['ttft_max']:,.0f}), "
            f"{f['rate']:,.0f} tokens/s per stream, {f['total']:,.0f} in all",
        )
        for f in figures
    ]
    write_section(args.name, body, summary=summary)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    try:
        main()
    except (SeqlabError, StreamError) as e:
        raise SystemExit(f"error: {e}") from None
