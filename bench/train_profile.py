"""Where one fp32 training step spends its time, against the machine's own GEMM rate.

    python -m bench.train_profile [--steps 20] [--threads 1,2] [--quick]

In one process: the CPU and its ISA; the fp32 GEMM rate (GFLOP/s of square ``torch.mm``) at
each thread count; then, for each model, thread count and batch kind, ``--steps`` real training
steps (forward, backward, clip, Adam; after warm-up steps), as tokens/s (target tokens for
seq2seq, input tokens for the LM) and as achieved GFLOP/s, with the top operators of a profiled
step. The models:

    m30k   configs/seq2seq_multi30k.yaml with an LSTM of 256 units (embeddings 256), Bahdanau
           attention, on the first --pairs pairs at word level; batches of 64 sentences
           (bucketed by source length) or of 1,500 tokens (train.batch_type tokens)
    ptb    bench.lm_quality's PTB setup (2x256 LSTM, adaptive softmax), batch 32 x bptt 35

FLOPs are counted analytically from the shapes of the step's matrix products:
``torch.utils.flop_counter`` counts every mm/addmm/bmm of the forward and backward pass, and a
hook on each fused ``nn.LSTM``/``nn.GRU`` adds its gate products (2 x gates x H x (I + H) per
token and direction, three times over for forward and backward), which that counter misses.
Element-wise work (tanh, sigmoid, Adam) is not counted: achieved GFLOP/s is a lower bound on
the work done. ``--quick`` runs a few steps on a few pairs and writes nothing; without it the
section ``--name`` (default ``train-profile``) of docs/benchmarks.md is rewritten.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from bench._report import SummaryRow, cpu, header, write_section
from bench.lm_quality import SETUPS
from seqlab.config import parse_overrides
from seqlab.tasks import load_run_config, run_config_from_dict, task_class
from seqlab.train.trainer import Trainer

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
M30K_SETS = [
    "model.cell=lstm",
    "model.hidden_size=256",
    "model.embedding_dim=256",
    "model.attention=bahdanau",
    "data.tokenizer=word",
    "data.valid=",
    "data.valid_tgt=",
    "data.valid_fraction=0.0",
    "data.bleu_sentences=0",
    "train.progress=false",
]
BATCHES = {"sentences": ["train.batch_size=64"], "tokens": ["train.batch_type=tokens"]}
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def gemm_gflops(size: int, seconds: float) -> float:
    """fp32 GFLOP/s of ``size`` x ``size`` matrix products on the current threads: the best of
    the products timed over ``seconds`` (the machine's rate, not its neighbours' share of it)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)  # warm-up
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best / 1e9


def m30k_trainer(batch: str, pairs: int, budget: int, run_dir: Path) -> Trainer:
    sets = [*M30K_SETS, *BATCHES[batch], f"data.max_pairs={pairs}"]
    if batch == "tokens":
        sets.append(f"train.batch_tokens={budget}")
    m30k = DATA / "multi30k"
    sets += [f"data.train={m30k / 'train.en.gz'}", f"data.train_tgt={m30k / 'train.fr.gz'}"]
    config = load_run_config(REPO / "configs" / "seq2seq_multi30k.yaml", parse_overrides(sets))
    return _trainer(config, run_dir)


def ptb_trainer(run_dir: Path) -> Trainer:
    s = SETUPS["ptb"]
    train = {**s["train"], "progress": False, "log_every": 0}
    config = {"task": "lm", "data": s["data"](DATA), "model": s["model"], "train": train}
    return _trainer(run_config_from_dict({**config, "out_dir": str(run_dir)}), run_dir)


def _trainer(config, run_dir: Path) -> Trainer:
    task = task_class(config.task)(config)
    task.prepare(None)
    trainer = Trainer(task, run_dir)
    trainer.setup()
    return trainer


class RnnFlops:
    """Adds the gate products of fused ``nn.RNNBase`` layers (invisible to FlopCounterMode)."""

    def __init__(self, model: nn.Module):
        self.flops = 0
        self.handles = [
            m.register_forward_hook(self.hook) for m in model.modules() if isinstance(m, nn.RNNBase)
        ]

    def hook(self, module: nn.RNNBase, inputs, output) -> None:
        x = inputs[0]
        tokens = x.data.shape[0] if isinstance(x, PackedSequence) else x.shape[0] * x.shape[1]
        gates, h = GATES[module.mode.split("_")[0]], module.hidden_size
        directions = 2 if module.bidirectional else 1
        for layer in range(module.num_layers):
            size_in = module.input_size if layer == 0 else h * directions
            self.flops += 3 * directions * tokens * 2 * gates * h * (size_in + h)

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()


def step_flops(trainer: Trainer, batch) -> int:
    """Matrix-product FLOPs of one training step (forward and backward) on ``batch``."""
    rnn = RnnFlops(trainer.model)
    counter = FlopCounterMode(display=False)
    try:
        with counter:
            trainer.train_step(batch)
    finally:
        rnn.close()
    return counter.get_total_flops() + rnn.flops


def measure(trainer: Trainer, steps: int, warmup: int) -> dict:
    """tokens/s, GFLOP/s and padding over ``steps`` steps after ``warmup`` steps; the top
    operators of one more."""
    task, index = trainer.task, 0

    def next_batch():
        nonlocal index
        batch = task.train_batch(0, index % task.num_batches(0))
        index += 1
        return batch

    for _ in range(warmup):
        trainer.train_step(next_batch())
    batches = [next_batch() for _ in range(steps)]
    flops = sum(step_flops(trainer, b) for b in batches)  # counted in steps of their own
    tokens, start = 0, time.perf_counter()
    for batch in batches:
        tokens += trainer.train_step(batch)[1]
    seconds = time.perf_counter() - start
    real, every = (sum(x) for x in zip(*map(task.batch_positions, batches), strict=True))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        trainer.train_step(batches[0])
    top = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8)
    return {
        "tokens_s": tokens / seconds,
        "gflops": flops / seconds / 1e9,
        "padding": 1 - real / every if every else None,
        "top": top,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--pairs", type=int, default=29000, help="Multi30k training pairs to read")
    ap.add_argument("--budget", type=int, default=1500, help="batch_tokens of the token rows")
    ap.add_argument("--models", default="m30k,ptb")
    ap.add_argument("--quick", action="store_true", help="2 steps, 200 pairs; writes nothing")
    ap.add_argument(
        "--name",
        default="train-profile",
        help="section of docs/benchmarks.md (e.g. train-profile-avx512 for another kind of CPU)",
    )
    args = ap.parse_args()
    steps, warmup, pairs = (2, 1, 200) if args.quick else (args.steps, 3, args.pairs)
    print(f"CPU: {cpu()}", flush=True)
    setups: dict[str, Callable[[Path], Trainer]] = {}
    for model in args.models.split(","):
        if model == "m30k":
            for kind in BATCHES:
                setups[f"m30k, {kind}"] = lambda d, k=kind: m30k_trainer(k, pairs, args.budget, d)
        elif model == "ptb":
            setups["ptb, bptt"] = ptb_trainer
    rows, tops, rates = [], [], {}
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        gemm = gemm_gflops(512 if args.quick else 1024, 0.3 if args.quick else 2.0)
        print(f"{threads} thread(s): fp32 GEMM {gemm:,.1f} GFLOP/s", flush=True)
        for name, make in setups.items():
            with tempfile.TemporaryDirectory() as d:
                trainer = make(Path(d))
                torch.set_num_threads(threads)  # over any threads the config set
                r = measure(trainer, steps, warmup)
            pad = "—" if r["padding"] is None else f"{r['padding']:.0%}"
            share = r["gflops"] / gemm
            rows.append(
                f"| {name} | {threads} | {r['tokens_s']:,.0f} | {pad} | {r['gflops']:,.1f} | "
                f"{gemm:,.1f} | {share:.0%} |"
            )
            print(rows[-1], flush=True)
            tops.append(f"{name}, {threads} thread(s):\n{r['top']}")
            rates[name, threads] = (r["tokens_s"], share)
    print("\n\n".join(tops))
    if args.quick:
        return
    table = [
        "| model, batches | threads | tokens/s | padding | achieved GFLOP/s | GEMM GFLOP/s | "
        "share |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
    body = "\n".join(
        [
            *header("Where a training step's time goes (fp32)"),
            f"{args.steps} timed training steps per row after 3 warm-up steps; FLOPs of the "
            "matrix products only (forward and backward), counted from the timed batches' "
            "shapes in untimed steps of their own; GEMM: square 1024 fp32 `torch.mm` on the "
            "same threads, in the same process; share: achieved / GEMM.",
            "",
            *table,
            "",
            "<details><summary>Top operators of one profiled step</summary>",
            "",
            "```",
            *tops,
            "```",
            "",
            "</details>",
        ]
    )
    write_section(args.name, body, summary=summary(rates))


def plural(threads: int) -> str:
    return f"{threads} thread{'s' if threads != 1 else ''}"


def summary(rates: dict[tuple[str, int], tuple[float, float]]) -> list[SummaryRow] | None:
    """The summary row, token batches against sentence batches at each thread count, when
    both m30k kinds were measured; ``rates``: (setup, threads) -> (tokens/s, share of GEMM)."""
    threads = sorted(
        t for name, t in rates if name == "m30k, tokens" and ("m30k, sentences", t) in rates
    )
    if not threads:
        return None
    tokens = {t: rates["m30k, tokens", t] for t in threads}
    ratio = {t: tokens[t][0] / rates["m30k, sentences", t][0] for t in threads}
    first, *rest = threads
    return [
        SummaryRow(
            what="Multi30k Bahdanau training step, fp32, token batches against 64-sentence batches",
            result=f"{tokens[first][0]:,.0f} tokens/s at {plural(first)} ({tokens[first][1]:.0%} "
            "of the GEMM rate)" + "".join(f", {tokens[t][0]:,.0f} at {t}" for t in rest),
            goal="tokens/s >= 1.5x the sentence batches",
            anchor=f"{ratio[first]:.2f}x at {plural(first)}"
            + "".join(f", {ratio[t]:.2f}x at {t}" for t in rest),
        )
    ]


if __name__ == "__main__":
    main()
