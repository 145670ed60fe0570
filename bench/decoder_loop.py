"""The teacher-forced Bahdanau decoder loop, before and after moving the embeddings' input
product out of it, timed in one process.

    python -m bench.decoder_loop [--rounds 7] [--threads 1,2] [--pairs 2000] [--quick]

The model is bench.train_profile's Multi30k one (LSTM 256, embeddings 256, a bidirectional
encoder of 2 x 256, Bahdanau attention), on its token batches (1,500 padded tokens). Each row
times forward and backward of the decoder recurrence alone (the encoder's outputs are leaves,
computed once), two ways on the same batches and weights:

    plain    what the loop did before: at each step index the embeddings (emb[:, t]), join
             them to the context (torch.cat) and call Recurrent.step on the joined input
    preset   seqlab's loop (models/wiring.py): the embeddings' share of the input product
             runs once for the whole batch (nn/preset_input.py); each step multiplies only
             the context

Rounds alternate the two, and the table gives the median of ``--rounds``; the outputs and the
gradients of the two agree (the largest difference is printed). ``--quick`` runs one round on
a few pairs and writes nothing; otherwise the section ``decoder-loop`` is rewritten.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import Tensor

from bench._report import SummaryRow, cpu, header, write_section
from bench.train_profile import m30k_trainer, plural
from seqlab.nn.recurrent import hidden_of, map_state


def plain_teacher(dec, emb: Tensor, state) -> Tensor:
    """The loop before: per-step indexing, a joined input, the whole input product per step."""
    rnn, outs, contexts = state.rnn, [], []
    for t in range(emb.shape[1]):
        context, _ = dec.attend(hidden_of(rnn)[-1], state)  # (B, K)
        out, rnn = dec.rnn.step(torch.cat([emb[:, t], context], -1), rnn)  # (B, H)
        outs.append(out)
        contexts.append(context)
    return dec.combined(torch.stack(outs, 1), torch.stack(contexts, 1))  # (B, T, H)


def preset_teacher(dec, emb: Tensor, state) -> Tensor:
    return dec.wiring.teacher(dec, emb, state)[0]


def leaves(model, batch):
    """The decoder's inputs for ``batch`` as leaves that need gradients: embeddings (B, T, E)
    and the initial state (memory, keys, bridged RNN state)."""
    with torch.no_grad():
        state = model.start(batch.src, batch.src_lengths)
        emb = model.decoder.embedding(batch.tgt_in)

    def leaf(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.detach().clone().requires_grad_()

    state = replace(
        state, memory=leaf(state.memory), keys=leaf(state.keys), rnn=map_state(state.rnn, leaf)
    )
    return leaf(emb), state


def run(fn, model, inputs) -> tuple[float, Tensor, list[Tensor]]:
    """Seconds for forward and backward over every batch, the last output and gradients."""
    model.zero_grad(set_to_none=True)
    start = time.perf_counter()
    for emb, state in inputs:
        hidden = fn(model.decoder, emb, state)
        hidden.square().mean().backward()
    seconds = time.perf_counter() - start
    grads = [p.grad.clone() for p in model.decoder.rnn.parameters()]
    return seconds, hidden.detach(), grads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--pairs", type=int, default=2000, help="Multi30k training pairs to read")
    ap.add_argument("--batches", type=int, default=8, help="batches timed in each round")
    ap.add_argument("--quick", action="store_true", help="one round on 200 pairs; writes nothing")
    args = ap.parse_args()
    rounds, pairs, count = (1, 200, 2) if args.quick else (args.rounds, args.pairs, args.batches)
    print(f"CPU: {cpu()}", flush=True)
    with tempfile.TemporaryDirectory() as d:
        trainer = m30k_trainer("tokens", pairs, 1500, Path(d))
    model, task = trainer.model, trainer.task
    model.train()
    batches = [task.train_batch(0, i % task.num_batches(0)) for i in range(count)]
    inputs = [leaves(model, b) for b in batches]
    steps = statistics.mean(b.tgt_in.shape[1] for b in batches)
    rows, ratios = [], {}
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for fn in (plain_teacher, preset_teacher):  # warm-up
            run(fn, model, inputs[:1])
        times: dict[str, list[float]] = {"plain": [], "preset": []}
        for _ in range(rounds):
            for name, fn in (("plain", plain_teacher), ("preset", preset_teacher)):
                torch.manual_seed(0)  # the same dropout masks for both
                seconds, out, grads = run(fn, model, inputs)
                times[name].append(seconds)
                if name == "plain":
                    ref_out, ref_grads = out, grads
        diff = max(
            (out - ref_out).abs().max().item(),
            *((g - r).abs().max().item() for g, r in zip(grads, ref_grads, strict=True)),
        )
        plain, preset = (statistics.median(times[k]) * 1000 / count for k in ("plain", "preset"))
        ratios[threads] = plain / preset
        rows.append(
            f"| {threads} | {plain:,.1f} | {preset:,.1f} | {plain / preset:.2f}x | {diff:.1e} |"
        )
        print(rows[-1], flush=True)
    if args.quick:
        return
    body = "\n".join(
        [
            *header("The teacher-forced decoder loop: the embeddings' input product out of it"),
            f"Forward and backward of the Bahdanau decoder recurrence (LSTM 256, embeddings 256, "
            f"context 512) on {count} token batches of 1,500 padded tokens ({steps:.0f} target "
            f"steps on average) of Multi30k; median of {rounds} alternating rounds; ms per "
            "batch. plain: the loop before (per-step indexing, joined input, the whole input "
            "product per step); preset: seqlab's loop (`nn/preset_input.py`).",
            "",
            "| threads | plain ms | preset ms | speed-up | largest difference |",
            "|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    row = SummaryRow(
        what="Teacher-forced Bahdanau decoder loop, forward and backward, embeddings' input "
        "product out of the loop",
        result=", ".join(f"{ratios[t]:.2f}x at {plural(t)}" for t in ratios),
        anchor="the per-step loop before, same process",
    )
    write_section("decoder-loop", body, summary=[row])


if __name__ == "__main__":
    main()
