"""Sentence batches against token batches for the shipped tagger and classifier configs.

    python -m bench.batching [--configs conll03,wnut17,sst2,sms] [--steps 150] [--warmup 5]
                             [--rounds 3] [--threads 2] [--data DIR] [--out DOC]

A sentence batch holds ``train.batch_size`` examples drawn at random, so it is as wide as its
longest example and the rest of its rows are padding. A token batch (``train.batch_type:
tokens``) is cut from a length-sorted pool, so its examples are about as long as each other::

    sentences, batch 4:   the cat sat . . . . . . . .     tokens, 12 positions:   a dog ran
                          a dog ran . . . . . . . . .                             the cat sat
                          yes . . . . . . . . . . . .                             ...
                          it rained all day and all night long , then stopped

For each config, in one process: its training examples batched both ways (the sentence batches
of ``train.batch_size`` examples the config shipped with, and its token batches as shipped
now), one trainer each, built by the trainer's own code with the config's model and optimizer.
Each trainer takes ``--warmup`` untimed steps; then ``--steps`` timed steps each, in
``--rounds`` alternating rounds (so a busy neighbour slows both alike). A timed step is what the
trainer's loop does: collate the batch, forward, backward, clip, Adam. Tokens/s counts real
tokens (the words of a batch, not its padding); padding is the share of a batch's word
positions that are padding, over the timed batches (the figure the trainer logs as ``padding``).
The section ``--name`` (default ``batching``) of ``--out`` (default docs/benchmarks.md) is
rewritten.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from bench._report import DOC, SummaryRow, cpu, header, write_section
from seqlab.config import parse_overrides
from seqlab.tasks import load_run_config, task_class
from seqlab.train.trainer import Trainer

REPO = Path(__file__).resolve().parent.parent
SHARED_PREFIX = "../shared/data/"  # how the shipped configs name the shared data


@dataclass(frozen=True)
class Setup:
    """A shipped config, and the ``train.batch_size`` of its sentence batches (what the config
    held before it moved to token batches)."""

    label: str
    config: str
    sentences: int


SETUPS = {
    "conll03": Setup("CoNLL-03 NER, BiLSTM-CRF, char CNN", "tag_conll03.yaml", 32),
    "wnut17": Setup("WNUT-17 NER, BiLSTM-CRF, char LSTM", "tag_wnut17.yaml", 16),
    "sst2": Setup("SST-2 sentiment, BiLSTM, mean pooling", "classify_sst2.yaml", 64),
    "sms": Setup("SMS spam, BiGRU, max pooling", "classify_sms.yaml", 32),
}
KINDS = ("sentences", "tokens")


@dataclass
class Tally:
    """What the timed steps of one kind of batches added up to."""

    steps: int = 0
    examples: int = 0
    real: int = 0  # word positions that hold a word
    positions: int = 0  # every word position, padding included
    seconds: float = 0.0

    @property
    def padding(self) -> float:
        return 1 - self.real / self.positions

    @property
    def tokens_s(self) -> float:
        return self.real / self.seconds


def overrides(setup: Setup, kind: str, threads: int, data: Path) -> dict:
    """The config's overrides for ``kind`` of batches, its shared data read from ``data``."""
    sets = [f"train.threads={threads}", "train.progress=false", "train.log_every=0"]
    if kind == "sentences":
        sets += ["train.batch_type=sentences", "train.batch_tokens=0"]
        sets.append(f"train.batch_size={setup.sentences}")
    shipped = load_run_config(REPO / "configs" / setup.config).data
    for key, path in (("train", shipped.train), ("valid", shipped.valid)):
        if (path or "").startswith(SHARED_PREFIX):
            sets.append(f"data.{key}={data / path.removeprefix(SHARED_PREFIX)}")
    return parse_overrides(sets)


class Batches:
    """One trainer and where it stands in its epochs: ``step()`` trains on the next batch."""

    def __init__(self, setup: Setup, kind: str, args: argparse.Namespace, run_dir: Path):
        path = REPO / "configs" / setup.config
        config = load_run_config(path, overrides(setup, kind, args.threads, args.data))
        if config.train.batch_type != kind:
            raise SystemExit(f"{path}: expected train.batch_type {kind}, as the configs ship")
        task = task_class(config.task)(config)
        task.prepare(None)
        self.trainer = Trainer(task, run_dir)
        self.trainer.setup()
        self.epoch = self.index = 0

    def step(self, tally: Tally | None = None) -> None:
        """Collate the next batch and train on it; ``tally`` adds what it held and took."""
        task = self.trainer.task
        if self.index >= task.num_batches(self.epoch):
            self.epoch, self.index = self.epoch + 1, 0
        start = time.perf_counter()
        batch = task.train_batch(self.epoch, self.index)
        self.trainer.train_step(batch)
        seconds = time.perf_counter() - start
        self.index += 1
        if tally is not None:
            real, every = task.batch_positions(batch)
            examples = batch[0].shape[0]  # a tag or classify batch opens with its ids (B, T)
            tally.steps, tally.examples = tally.steps + 1, tally.examples + examples
            tally.real, tally.positions = tally.real + real, tally.positions + every
            tally.seconds += seconds


def measure(setup: Setup, args: argparse.Namespace) -> dict[str, Tally]:
    """Both kinds of batches of ``setup``, timed in alternating rounds."""
    tallies = {kind: Tally() for kind in KINDS}
    with tempfile.TemporaryDirectory() as d:
        runs = {kind: Batches(setup, kind, args, Path(d) / kind) for kind in KINDS}
        torch.set_num_threads(args.threads)
        for kind in KINDS:
            for _ in range(args.warmup):
                runs[kind].step()
        rounds = [
            args.steps // args.rounds + (r < args.steps % args.rounds) for r in range(args.rounds)
        ]
        for steps in rounds:
            for kind in KINDS:
                for _ in range(steps):
                    runs[kind].step(tallies[kind])
    return tallies


def row(name: str, setup: Setup, kind: str, tally: Tally) -> str:
    examples, real = tally.examples / tally.steps, tally.real / tally.steps
    return (
        f"| {name} | {batch_size(setup, kind)} | {examples:,.1f} | {real:,.0f} "
        f"| {tally.padding:.1%} | {tally.tokens_s:,.0f} |"
    )


def batch_size(setup: Setup, kind: str) -> str:
    """What a batch of ``kind`` holds at most: sentences, or (padded) tokens."""
    if kind == "sentences":
        return f"{setup.sentences} sentences"
    budget = load_run_config(REPO / "configs" / setup.config).train.batch_tokens
    return f"{budget:,} tokens"


def table(results: dict[str, dict[str, Tally]]) -> list[str]:
    lines = [
        "| config | batch | examples/step | real tokens/step | padding | tokens/s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, tallies in results.items():
        lines += [row(name, SETUPS[name], kind, tallies[kind]) for kind in KINDS]
    return lines


def ratios(results: dict[str, dict[str, Tally]]) -> list[str]:
    lines = ["| config | padding, sentences -> tokens | tokens/s, tokens / sentences |"]
    lines.append("|---|---:|---:|")
    for name, t in results.items():
        sentences, tokens = t["sentences"], t["tokens"]
        lines.append(
            f"| {name} | {sentences.padding:.1%} -> {tokens.padding:.1%} | "
            f"{tokens.tokens_s / sentences.tokens_s:.2f}x |"
        )
    return lines


def body(results: dict[str, dict[str, Tally]], args: argparse.Namespace) -> str:
    configs = "; ".join(f"{n}: {SETUPS[n].label} (`configs/{SETUPS[n].config}`)" for n in results)
    text = [
        *header("Sentence batches against token batches: padding and training tokens/s"),
        f"{configs}. Each config trains in one process with its sentence batches (the "
        "`train.batch_size` it shipped with) and with its token batches (`train.batch_type: "
        f"tokens`, as shipped now): {plural(args.warmup, 'untimed step')} each, then "
        f"{plural(args.steps, 'timed step')} each in {plural(args.rounds, 'alternating round')}. "
        "A step collates its batch and trains on it (forward, backward, clipping, Adam). "
        "Tokens/s counts real tokens (words, not padding); padding is the share of the "
        "batches' word positions that are padding.",
        "",
        *table(results),
        "",
        *ratios(results),
    ]
    return "\n".join(text)


def plural(n: int, what: str) -> str:
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def summary(results: dict[str, dict[str, Tally]]) -> SummaryRow:
    padding = ", ".join(
        f"{n} {t['sentences'].padding:.0%} -> {t['tokens'].padding:.0%}" for n, t in results.items()
    )
    speed = ", ".join(
        f"{n} {t['tokens'].tokens_s / t['sentences'].tokens_s:.2f}x" for n, t in results.items()
    )
    return SummaryRow(
        what="Tagger and classifier configs, token batches against the sentence batches they "
        "shipped with, fp32",
        result=f"padding {padding}",
        anchor=f"training tokens/s: {speed}",
    )


def parse_configs(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETUPS]
    if not names or unknown:
        raise SystemExit(f"--configs: expected some of {','.join(SETUPS)}, got {text!r}")
    return names


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--configs", default=",".join(SETUPS), help="comma-separated, of " + ",".join(SETUPS)
    )
    ap.add_argument("--steps", type=int, default=150, help="timed steps per config and kind")
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of timed steps")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=DOC, help="the document to write the section into")
    ap.add_argument("--name", default="batching", help="the section of --out")
    args = ap.parse_args(argv)
    if args.steps < 1 or not 1 <= args.rounds <= args.steps:
        raise SystemExit("--steps: expected at least 1, and --rounds between 1 and --steps")
    torch.set_num_threads(args.threads)
    print(f"CPU: {cpu()}, {torch.get_num_threads()} threads", flush=True)
    results = {}
    for name in parse_configs(args.configs):
        results[name] = measure(SETUPS[name], args)
        print("\n".join(table({name: results[name]})[2:]), flush=True)
    print("\n".join([*table(results), "", *ratios(results)]))
    write_section(args.name, body(results, args), summary=[summary(results)], doc=args.out)


if __name__ == "__main__":
    main()
