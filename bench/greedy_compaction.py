"""Greedy decoding with and without dropping finished sentences from the batch, in one process.

    python -m bench.greedy_compaction RUN [--src FILE] [--batch 64] [--repeats 3] [--threads 2]

Decodes the sources (``--src``, else the run's validation split) with the run's best checkpoint
through ``task.decode``, the path of ``seqlab translate``, once as shipped (a sentence that has
emitted <eos> or reached its length limit leaves the batch) and once with finished rows kept
stepping, alternating ``--repeats`` times. Reports the median sentences/s of each and checks that
both give the same output.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from bench._report import SummaryRow, header, write_section
from bench.seq2seq_speed import sources_of
from seqlab.decode.strategy import Greedy
from seqlab.tasks import load_run


def decode(task, model, sources, batch: int, compact: bool) -> tuple[float, list]:
    """Sentences/s and outputs of greedy decoding, with or without dropping finished rows."""
    start = time.perf_counter()
    hyps = task.decode(model, sources, Greedy(), batch_size=batch, compact=compact)
    return len(sources) / (time.perf_counter() - start), [h[0].tokens for h in hyps]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--src", default=None)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="greedy-compaction")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    task, model = load_run(args.run, "best")
    sources = sources_of(task, args.run, args.src)
    rates = {True: [], False: []}
    outputs = {}
    decode(task, model, sources[: args.batch], args.batch, True)  # warm-up
    for _ in range(args.repeats):
        for compact in (False, True):
            rate, outputs[compact] = decode(task, model, sources, args.batch, compact)
            rates[compact].append(rate)
    same = outputs[True] == outputs[False]
    kept, dropped = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"kept {kept:.1f}/s, dropped {dropped:.1f}/s, same output: {same}")
    body = "\n".join(
        [
            *header(f"Greedy decoding: finished sentences leave the batch ({args.name})"),
            f"Run `{args.run.name}`, best checkpoint, {len(sources):,} sources, batch "
            f"{args.batch}, greedy, through task.decode; the two ways alternate "
            f"{args.repeats} times in one process and the median is shown.",
            "",
            "| finished sentences | sentences/s |",
            "|---|---:|",
            f"| keep stepping (output ignored) | {kept:,.1f} |",
            f"| leave the batch | {dropped:,.1f} |",
            f"| ratio | {dropped / kept:.2f}x |",
            "",
            f"Identical output both ways: {'yes' if same else 'NO'}.",
        ]
    )
    row = SummaryRow(
        what=f"Greedy decoding, finished sentences leave the batch (`{args.run.name}`, "
        f"batch {args.batch})",
        result=f"{dropped:,.1f} sentences/s; identical output: {'yes' if same else 'NO'}",
        anchor=f"{dropped / kept:.2f}x of keep stepping ({kept:,.1f})",
    )
    write_section(args.name, body, summary=[row])


if __name__ == "__main__":
    main()
