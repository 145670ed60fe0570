"""What bf16 costs or saves in training on this CPU, against fp32, in one process.

    python -m bench.bf16_cost RUN [--steps 10] [--threads 2]

Times real training steps (forward, backward, clip, Adam; bench/seq2seq_speed.py's function) of
RUN's config and vocabularies, once in fp32 and once in bf16, and writes the ratio. seqlab
refuses bf16 for training on a CPU without native bf16 (AVX512-BF16 or AMX); this script asks
the trainer to allow it (``emulated_bf16``) to measure why: there the fused LSTM runs in fp32
and the rest is emulated bf16.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import torch
import yaml

from bench._report import SummaryRow, header, write_section
from bench.seq2seq_speed import measured_training_rate
from seqlab.nn.recurrent import cpu_bf16_lstm_supported


def rate(run: Path, precision: str, steps: int) -> float:
    """Training tokens/s of a copy of ``run`` (no checkpoints) with ``train.precision`` set."""
    with tempfile.TemporaryDirectory() as d:
        copy = Path(d) / run.name
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("checkpoints"))
        config = yaml.safe_load((copy / "config.yaml").read_text())
        config["train"]["precision"] = precision
        (copy / "config.yaml").write_text(yaml.safe_dump(config))
        return measured_training_rate(copy, steps=steps, warmup=2, emulated_bf16=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="bf16-cost")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    native = cpu_bf16_lstm_supported()
    fp32, bf16 = rate(args.run, "fp32", args.steps), rate(args.run, "bf16", args.steps)
    print(f"fp32 {fp32:.0f} tokens/s, bf16 {bf16:.0f} tokens/s")
    body = "\n".join(
        [
            *header(f"bf16 against fp32 in training ({args.name})"),
            f"Run `{args.run.name}`'s config and vocabularies, {args.steps} timed training steps "
            "each (after 2 warm-up steps), target tokens per second. Native bf16 for the fused "
            f"LSTM on this CPU: {'yes' if native else 'no (that layer runs in fp32)'}.",
            "",
            "| precision | training tokens/s |",
            "|---|---:|",
            f"| fp32 | {fp32:,.0f} |",
            f"| bf16 | {bf16:,.0f} |",
            f"| bf16 / fp32 | {bf16 / fp32:.2f}x |",
        ]
    )
    row = SummaryRow(
        what=f"bf16 against fp32 in training, native bf16 LSTM: {'yes' if native else 'no'} "
        f"(`{args.run.name}`)",
        result=f"bf16 {bf16:,.0f} training tokens/s",
        anchor=f"{bf16 / fp32:.2f}x of fp32 ({fp32:,.0f})",
    )
    write_section(args.name, body, summary=[row])


if __name__ == "__main__":
    main()
