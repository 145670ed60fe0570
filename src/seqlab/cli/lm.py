"""``seqlab train``, ``seqlab evaluate``, ``seqlab generate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from seqlab.config import parse_overrides


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("generate")(generate)


def train(
    config: Path = typer.Argument(None, help="YAML config (see configs/)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set train.lr=0.002"),
    resume: Path = typer.Option(None, "--resume", help="Continue the run in this directory."),
) -> None:
    """Train a model from CONFIG (or resume RUN) into a run directory."""
    from seqlab.train.run import train as run_train

    summary = run_train(config, parse_overrides(set_), resume)
    metrics = " ".join(f"{k}={v:.4g}" for k, v in summary["metrics"].items())
    print(f"done ({summary['reason']}) at step {summary['step']}: {metrics}")
    print(f"run directory: {summary['run_dir']}")


def evaluate(
    run: Path = typer.Argument(..., help="Run directory."),
    data: Path = typer.Option(..., "--data", help="Text file to score."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    encoding: str = typer.Option("utf-8", help="Text encoding of --data."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Score a text with a trained language model: loss, perplexity, bits per token."""
    from seqlab.tasks import load_run
    from seqlab.tasks.lm_use import evaluate_file

    task, model = load_run(run, which)
    m = evaluate_file(task, model, str(data), encoding)
    if as_json:
        print(json.dumps(m))
        return
    unit = {"char": "char"}.get(task.tokenizer.kind, "word" if task.tokenizer.kind == "word" else "token")
    print(f"tokens      {int(m['tokens']):,}")
    print(f"loss        {m['loss']:.4f} nats/{unit}")
    print(f"perplexity  {m['ppl']:.2f}")
    print(f"bits/{unit:<5} {m['bpt']:.4f}")
    print(f"<unk> rate  {m['unk_rate']:.2%}")


def generate(
    run: Path = typer.Argument(..., help="Run directory."),
    prime: str = typer.Option("", help="Text to start from."),
    length: int = typer.Option(500, help="Tokens to generate."),
    temperature: float = typer.Option(0.8, help="0 = greedy."),
    top_k: int = typer.Option(0, "--top-k", help="Sample from the k most likely (0 = all)."),
    top_p: float = typer.Option(1.0, "--top-p", help="Nucleus sampling mass."),
    seed: int = typer.Option(None, help="Seed for reproducible samples."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
) -> None:
    """Generate text autoregressively, feeding the model's own output back; streams to stdout."""
    from seqlab.errors import SeqlabError
    from seqlab.tasks import load_run
    from seqlab.tasks.lm_use import generate_text

    if length < 0:
        raise SeqlabError(f"--length: must be >= 0, got {length}")
    task, model = load_run(run, which)
    for piece in generate_text(task, model, prime, length, temperature, top_k, top_p, seed):
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")
