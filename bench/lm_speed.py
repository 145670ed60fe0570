"""Training and generation speed of seqlab's language model against bare torch loops.

Training: seqlab's own trainer step (task loss, backward, clipping, Adam) against a bare
``nn.Embedding -> nn.LSTM -> nn.Linear`` loop with the same shapes, interleaved in one process
so machine noise hits both alike. Generation: batch-1 sampling through ``LanguageModel.step``
against calling the fused ``nn.LSTM`` once per step and against ``nn.LSTMCell``.

    python -m bench.lm_speed [--rounds 3] [--steps 6] [--threads 2]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from bench._report import header, write_section
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Sample
from seqlab.models.lm import LanguageModel
from seqlab.nn.stack import RecurrentShape
from seqlab.tasks import run_config_from_dict
from seqlab.tasks.lm import LanguageModelTask
from seqlab.train.trainer import Trainer

B, T, E, H, V = 64, 100, 128, 512, 65


class BareLM(nn.Module):
    def __init__(self, layers: int):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, layers, batch_first=True)
        self.out = nn.Linear(H, V)

    def forward(self, x, state=None):
        y, state = self.lstm(self.emb(x), state)
        return self.out(y), state


class BareLoop:
    """What a user would otherwise write: the model, Adam and clipping, nothing else."""

    def __init__(self, layers: int, bf16: bool):
        torch.manual_seed(0)
        self.model = BareLM(layers)
        self.opt = torch.optim.Adam(self.model.parameters(), 2e-3)
        self.x = torch.randint(0, V, (B, T + 1))
        self.bf16 = bf16

    def steps(self, n: int) -> float:
        model, opt, x = self.model, self.opt, self.x
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()
        start = time.perf_counter()
        for _ in range(n):
            with ctx:
                logits, _ = model(x[:, :-1])
                loss = F.cross_entropy(logits.flatten(0, 1).float(), x[:, 1:].flatten())
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        return n * B * T / (time.perf_counter() - start)


def seqlab_trainer(layers: int, bf16: bool, corpus: Path, run_dir: Path) -> Trainer:
    cfg = run_config_from_dict(
        {
            "task": "lm",
            "data": {"train": str(corpus), "tokenizer": "char", "bptt": T, "valid_fraction": 0.0},
            "model": {
                "cell": "lstm",
                "embedding_dim": E,
                "hidden_size": H,
                "num_layers": layers,
                "dropout": 0.0,
            },
            "train": {"batch_size": B, "precision": "bf16" if bf16 else "fp32", "progress": False},
            "out_dir": str(run_dir),
        }
    )
    task = LanguageModelTask(cfg)
    task.prepare()
    trainer = Trainer(task, run_dir)
    trainer.setup()
    return trainer


def seqlab_steps(trainer: Trainer, steps: int) -> float:
    start = time.perf_counter()
    for i in range(steps):
        trainer.train_step(trainer.task.train_batch(0, i % trainer.task.num_batches(0)))
    return steps * B * T / (time.perf_counter() - start)


def training_table(rounds: int, steps: int, corpus: Path, tmp: Path) -> list[str]:
    rows = [
        "| layers | precision | bare nn.LSTM tok/s | seqlab tok/s | ratio |",
        "|---:|---|---:|---:|---:|",
    ]
    for layers in (1, 2):
        for bf16 in (False, True):
            trainer = seqlab_trainer(layers, bf16, corpus, tmp / f"r{layers}{bf16}")
            bare = BareLoop(layers, bf16)
            bare.steps(2), seqlab_steps(trainer, 2)  # warm-up: kernels, Adam state
            ratios, bares, ours = [], [], []
            for _ in range(rounds):  # interleaved: noise hits both
                b = bare.steps(steps)
                s = seqlab_steps(trainer, steps)
                bares.append(b), ours.append(s), ratios.append(s / b)
            prec = "bf16" if bf16 else "fp32"
            rows.append(
                f"| {layers} | {prec} | {statistics.median(bares):,.0f} | "
                f"{statistics.median(ours):,.0f} | {statistics.median(ratios):.2f}x |"
            )
            print(rows[-1], flush=True)
    return rows


def generation_table(length: int) -> list[str]:
    torch.manual_seed(0)
    model = LanguageModel(V, RecurrentShape("lstm", E, H, num_layers=1, dropout=0.0)).eval()
    prime = torch.tensor([[1, 5, 7]])
    gen = torch.Generator().manual_seed(0)

    def ours() -> float:
        """The decoding loop of ``seqlab generate``: a sample streamed token by token."""
        made = []
        start = time.perf_counter()
        with torch.inference_mode():
            state = model.start(prime[:, :-1])
        decode(
            model,
            state,
            Sample(0.8, generator=gen),
            first=prime[:, -1],
            limits=torch.tensor([length]),
            eos=None,
            on_token=lambda rows, tokens: made.extend(tokens),
        )
        return len(made) / (time.perf_counter() - start)

    @torch.inference_mode()
    def fused_per_step() -> float:
        lstm, emb, out = model.rnn.rnn, model.embedding, model.output
        tok, state = torch.tensor([[3]]), None
        start = time.perf_counter()
        for _ in range(length):
            y, state = lstm(emb(tok), state)
            probs = out(y[:, -1]).div(0.8).softmax(-1)
            tok = torch.multinomial(probs, 1, generator=gen)
        return length / (time.perf_counter() - start)

    @torch.inference_mode()
    def lstm_cell() -> float:
        cell = nn.LSTMCell(E, H)
        emb, out = model.embedding, model.output
        tok, state = torch.tensor([3]), None
        start = time.perf_counter()
        for _ in range(length):
            state = cell(emb(tok), state)
            probs = out(state[0]).div(0.8).softmax(-1)
            tok = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        return length / (time.perf_counter() - start)

    rows = ["| path (batch 1, 1x512 LSTM, sampling) | chars/s |", "|---|---:|"]
    for name, fn in [
        ("seqlab `LanguageModel.step` (seqlab generate)", ours),
        ("fused `nn.LSTM` called once per step", fused_per_step),
        ("bare `nn.LSTMCell` loop", lstm_cell),
    ]:
        fn()
        rate = statistics.median(fn() for _ in range(3))
        rows.append(f"| {name} | {rate:,.0f} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gen-length", type=int, default=2000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        corpus = tmp / "corpus.txt"
        rng = random.Random(0)
        alphabet = [chr(c) for c in range(32, 32 + V - 4)]
        corpus.write_text("".join(rng.choice(alphabet) for _ in range(B * (T + 1) * 4)))
        train_rows = training_table(args.rounds, args.steps, corpus, tmp)
    gen_rows = generation_table(args.gen_length)
    body = "\n".join(
        [
            *header("Language model speed"),
            f"Training throughput, batch {B}, T={T}, embedding {E}, hidden {H}, vocabulary {V}, "
            f"Adam, gradient clipping 5. seqlab runs its real trainer step; the reference is a "
            f"bare "
            f"`nn.LSTM` loop in the same process. Median of {args.rounds} interleaved rounds of "
            f"{args.steps} steps. Goal: seqlab >= 0.9x.",
            "",
            *train_rows,
            "",
            "Generation speed (goal >= 5,000 chars/s):",
            "",
            *gen_rows,
        ]
    )
    write_section("lm-speed", body)


if __name__ == "__main__":
    main()
