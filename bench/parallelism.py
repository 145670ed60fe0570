"""Training tokens/s at matched parameter counts: an LSTM LM against a TransformerLM, by window T.

The recurrence must walk a window of T tokens one step after another; the Transformer reads all
T positions in a few large matrix products (attention is O(T^2) work, but parallel). Each step
is a full training step (forward, backward, Adam), fp32, on random character windows (B, T + 1).
Both models are timed in the same process, alternating, and each figure is the median of the
timed steps after warm-up; the ratio Transformer / LSTM is what the section reports.

    python -m bench.parallelism [--lengths 64,128,256] [--threads 2] [--steps 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn

from bench._report import SummaryRow, cpu, header, write_section
from seqlab.analysis.params import param_table_from_module
from seqlab.models.lm import LanguageModel
from seqlab.models.transformer_lm import TransformerLM
from seqlab.nn.stack import RecurrentShape
from seqlab.nn.transformer_block import BlockShape

VOCAB_SIZE = 65  # tiny-shakespeare's characters


@dataclass(frozen=True)
class Sizes:
    """The two models: the LSTM's embedding E, hidden H and layers; the Transformer's layers
    and heads (its width D is chosen to match the LSTM's parameter count)."""

    embedding_dim: int = 128
    hidden_size: int = 256
    lstm_layers: int = 2
    transformer_layers: int = 4
    num_heads: int = 4


def count(model: nn.Module) -> int:
    """Parameters of ``model``, tied weights once (seqlab's parameter table)."""
    return param_table_from_module(model).pytorch_total


def build_lstm(sizes: Sizes) -> LanguageModel:
    shape = RecurrentShape("lstm", sizes.embedding_dim, sizes.hidden_size, sizes.lstm_layers)
    return LanguageModel(VOCAB_SIZE, shape)


def build_transformer(sizes: Sizes, d_model: int, max_len: int) -> TransformerLM:
    block = BlockShape(d_model, sizes.num_heads, 4 * d_model, activation="gelu")  # lm's default
    return TransformerLM(VOCAB_SIZE, block, num_layers=sizes.transformer_layers, max_len=max_len)


def matched_width(sizes: Sizes, target: int, max_len: int) -> int:
    """The width D (a multiple of the heads) whose TransformerLM's count is nearest ``target``:
    the count grows with D, so bisect for the first D at or above it, then take the nearer of
    that one and the one before."""
    lo, hi = 1, 1
    while transformer_count(sizes, hi * sizes.num_heads, max_len) < target:
        lo, hi = hi, 2 * hi
    while lo < hi:  # the first multiple m in [lo, hi] whose count reaches the target
        mid = (lo + hi) // 2
        if transformer_count(sizes, mid * sizes.num_heads, max_len) < target:
            lo = mid + 1
        else:
            hi = mid
    widths = {max(lo - 1, 1) * sizes.num_heads, lo * sizes.num_heads}
    return min(widths, key=lambda d: abs(transformer_count(sizes, d, max_len) - target))


def transformer_count(sizes: Sizes, d_model: int, max_len: int) -> int:
    """Parameters of the TransformerLM of width D, counted on a model built on the meta device."""
    with torch.device("meta"):
        return count(build_transformer(sizes, d_model, max_len))


class Timed:
    """One model with its Adam and a fixed batch of windows tokens (B, T + 1)."""

    def __init__(self, model: nn.Module, batch_size: int, length: int):
        self.model = model.train()
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(0)
        self.tokens = torch.randint(0, VOCAB_SIZE, (batch_size, length + 1), generator=generator)

    def step(self) -> float:
        """One training step (forward, backward, Adam); returns its wall seconds."""
        start = time.perf_counter()
        nll, _ = self.model(self.tokens[:, :-1], targets=self.tokens[:, 1:])  # (B, T)
        self.optimizer.zero_grad(set_to_none=True)
        nll.mean().backward()
        self.optimizer.step()
        return time.perf_counter() - start


def time_pair(models: dict[str, nn.Module], batch_size: int, length: int, args) -> dict:
    """Median step seconds and tokens/s per model, stepping the models in turn."""
    timed = {name: Timed(model, batch_size, length) for name, model in models.items()}
    for _ in range(args.warmup):
        for t in timed.values():
            t.step()
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(args.steps):
        for name, t in timed.items():
            seconds[name].append(t.step())
    tokens = batch_size * length
    return {
        name: {"median_s": statistics.median(s), "tokens_per_s": tokens / statistics.median(s)}
        for name, s in seconds.items()
    }


def measure(sizes: Sizes, lengths: list[int], batch_size: int, args) -> dict:
    """Build the two models once (positions up to max(lengths)) and time them at each T."""
    max_len = max(lengths)
    torch.manual_seed(0)
    lstm = build_lstm(sizes)
    d_model = matched_width(sizes, count(lstm), max_len)
    torch.manual_seed(0)
    transformer = build_transformer(sizes, d_model, max_len)
    models = {"lstm": lstm, "transformer": transformer}
    rows = []
    for length in lengths:
        speed = time_pair(models, batch_size, length, args)
        ratio = speed["transformer"]["tokens_per_s"] / speed["lstm"]["tokens_per_s"]
        rows.append({"length": length, **speed, "ratio": ratio})
    counts = {name: count(model) for name, model in models.items()}
    return {"d_model": d_model, "counts": counts, "rows": rows}


def format_table(result: dict) -> str:
    lines = [
        "| T | LSTM tokens/s | Transformer tokens/s | Transformer / LSTM |",
        "|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lstm, transformer = r["lstm"]["tokens_per_s"], r["transformer"]["tokens_per_s"]
        lines.append(f"| {r['length']} | {lstm:,.0f} | {transformer:,.0f} | {r['ratio']:.2f}x |")
    return "\n".join(lines)


def describe(sizes: Sizes, result: dict) -> str:
    """The two models and their parameter counts, with the relative difference."""
    counts = result["counts"]
    gap = counts["transformer"] / counts["lstm"] - 1
    return (
        f"LSTM LM: embedding {sizes.embedding_dim}, {sizes.lstm_layers}x{sizes.hidden_size} LSTM, "
        f"{counts['lstm']:,} parameters. TransformerLM: {sizes.transformer_layers} pre-LN blocks "
        f"of width {result['d_model']}, {sizes.num_heads} heads, feed-forward "
        f"{4 * result['d_model']} (GELU), learned positions, tied output, "
        f"{counts['transformer']:,} parameters ({gap:+.1%} against the LSTM). "
        f"Vocabulary {VOCAB_SIZE}."
    )


def body(sizes: Sizes, result: dict, args) -> str:
    head = header("Training parallelism: LSTM LM against TransformerLM, matched parameters")
    return "\n".join(head) + (
        f"\n{describe(sizes, result)}\n\nBatch {args.batch_size} windows of T tokens, fp32, one "
        f"training step = forward + backward + Adam; tokens/s = B*T / the median of "
        f"{args.steps} timed steps after {args.warmup} warm-up steps, both models in turn in one "
        f"process.\n\n{format_table(result)}\n"
    )


def parse_lengths(text: str) -> list[int]:
    lengths = [int(v) for v in text.split(",") if v.strip()]
    if not lengths or min(lengths) < 1:
        raise SystemExit(f"--lengths: expected positive comma-separated integers, got {text!r}")
    return lengths


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", default="64,128,256", help="Window lengths T, comma-separated.")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--hidden-size", type=int, default=256, help="LSTM hidden size H.")
    p.add_argument("--embedding-dim", type=int, default=128, help="LSTM embedding size E.")
    p.add_argument("--lstm-layers", type=int, default=2)
    p.add_argument("--transformer-layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=7, help="Timed steps per model and T (median).")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-write", action="store_true", help="Print only; leave the docs alone.")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    sizes = Sizes(
        args.embedding_dim, args.hidden_size, args.lstm_layers, args.transformer_layers, args.heads
    )
    print(f"CPU: {cpu()}, {torch.get_num_threads()} threads")
    result = measure(sizes, parse_lengths(args.lengths), args.batch_size, args)
    print(describe(sizes, result))
    print(format_table(result))
    if args.no_write:
        return
    ratios = ", ".join(f"T={r['length']} {r['ratio']:.2f}x" for r in result["rows"])
    row = SummaryRow("Training tokens/s, TransformerLM / LSTM LM, matched parameters, fp32", ratios)
    write_section("parallelism", body(sizes, result, args), summary=[row])


if __name__ == "__main__":
    main()
