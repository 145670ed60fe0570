"""Training and decoding speed of trained seq2seq runs.

    python -m bench.seq2seq_speed RUN [RUN ...] [--src ../shared/data/multi30k/val.en.gz]
                                  [--sentences 256] [--threads 2]

Per run: training tokens/s (target tokens per second of the real trainer step, measured here
on the run's own config and vocabularies, no validation in the timed span; the median rate the run
logged is shown beside it) and decoding sentences/s on the first
``--sentences`` source lines (of ``--src``, or else of the run's own validation split), for
greedy and beam 5, with batch 1 and batch 64. Decoding uses
the run's best checkpoint, the same path as ``seqlab translate``.
Batch 1 decodes a quarter of the sentences (it is the slow case); rates are per sentence.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from bench._report import header, write_section
from seqlab.data.io import iter_lines
from seqlab.decode.strategy import beam_or_greedy
from seqlab.tasks import load_run, load_run_config, task_class
from seqlab.train.trainer import Trainer

SETTINGS = [(1, 1), (1, 64), (5, 1), (5, 64)]  # (beam, batch)


def training_rate(run: Path) -> float:
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    rates = [r["tokens_per_s"] for r in rows if r["split"] == "train" and r.get("tokens_per_s")]
    return statistics.median(rates) if rates else float("nan")


def measured_training_rate(
    run: Path, steps: int = 40, warmup: int = 5, *, emulated_bf16: bool = False
) -> float:
    """Target tokens/s of ``steps`` real training steps (forward, backward, clip, Adam) with the
    run's config and vocabularies, from freshly initialised weights, after ``warmup`` steps.
    ``emulated_bf16`` lets bf16 run where the CPU only emulates it."""
    config = load_run_config(run / "config.yaml")
    task = task_class(config.task)(config)
    task.prepare(run)
    with tempfile.TemporaryDirectory() as d:
        trainer = Trainer(task, Path(d), emulated_bf16=emulated_bf16)
        trainer.setup()
        for i in range(warmup):
            trainer.train_step(task.train_batch(0, i))
        tokens, start = 0, time.perf_counter()
        for i in range(warmup, warmup + steps):
            tokens += trainer.train_step(task.train_batch(0, i))[1]
        return tokens / (time.perf_counter() - start)


def sources_of(task, run: Path, src: str | None) -> list[list[int]]:
    """Source ids of the non-empty lines of ``src``, or else of the run's validation split."""
    if src:
        lines = [x for x in iter_lines(src) if x.strip()]
    else:
        task.prepare(run)
        lines = [s for s, _ in task.valid_text]
    return [task.src_ids(x) for x in lines]


def decode_rate(task, model, sources: list[list[int]], beam: int, batch: int) -> float:
    todo = sources if batch > 1 else sources[: max(1, len(sources) // 4)]
    strategy = beam_or_greedy(beam)
    task.decode(model, todo[:batch], strategy, batch_size=batch)  # warm-up
    start = time.perf_counter()
    task.decode(model, todo, strategy, batch_size=batch)
    return len(todo) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--src", help="source lines to decode (default: the run's validation split)")
    ap.add_argument("--sentences", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="seq2seq-speed")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    head = "| run | attention | training tokens/s | logged median | " + " | ".join(
        f"{'greedy' if b == 1 else f'beam {b}'}, batch {n} (sent/s)" for b, n in SETTINGS
    )
    rows = [head + " |", "|---|---|---:|---:|" + "---:|" * len(SETTINGS)]
    for run in args.runs:
        task, model = load_run(run)
        sources = sources_of(task, run, args.src)[: args.sentences]
        with torch.inference_mode():
            rates = [decode_rate(task, model, sources, b, n) for b, n in SETTINGS]
        cells = " | ".join(f"{r:,.1f}" for r in rates)
        m = task.config.model
        attention = "transformer" if m.arch == "transformer" else m.attention
        measured = measured_training_rate(run)
        rows.append(
            f"| {run.name} | {attention} | {measured:,.0f} | {training_rate(run):,.0f} | {cells} |"
        )
        print(rows[-1], flush=True)
    where = f"`{args.src}`" if args.src else "each run's own validation split"
    body = "\n".join(
        [
            *header(f"Seq2seq training and decoding speed ({args.name})"),
            "Training tokens/s: target tokens per second of 40 real training steps (after 5 "
            "warm-up steps) with each run's config and vocabularies, no validation inside the "
            "timed span; the logged column is the median rate in the run's metrics.jsonl (runs "
            "trained before validation time was left out of it count their validations too). "
            f"Decoding: the first {args.sentences} source lines of {where} "
            f"(a quarter of them at batch 1), best checkpoint, max length 1.5 x source + 5.",
            "",
            *rows,
        ]
    )
    write_section(args.name, body)


if __name__ == "__main__":
    main()
