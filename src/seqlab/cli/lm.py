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
    data: Path = typer.Option(None, "--data", help="File to score (lm, classify, tag)."),
    src: Path = typer.Option(None, "--src", help="Source sentences (seq2seq)."),
    ref: Path = typer.Option(None, "--ref", help="Reference translations (seq2seq)."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    encoding: str = typer.Option("utf-8", help="Text encoding of the files."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Score files with a trained model (LM: loss, perplexity, bits per token)."""
    from seqlab.errors import SeqlabError
    from seqlab.tasks import load_run
    from seqlab.tasks.lm_use import evaluate_file

    task, model = load_run(run, which)
    if task.name != "lm":
        files = {"data": data, "src": src, "ref": ref}
        m = task.evaluate_files(model, **{k: str(v) for k, v in files.items() if v is not None})
        report = m.pop("report", None)
        if as_json:
            print(json.dumps(m))
        else:
            print(report if report is not None else "\n".join(f"{k:<12}{v}" for k, v in m.items()))
        return
    if data is None:
        raise SeqlabError("evaluate: a language model needs --data FILE")
    m = evaluate_file(task, model, str(data), encoding)
    if as_json:
        print(json.dumps(m))
        return
    unit = {"char": "char", "word": "word"}.get(task.tokenizer.kind, "token")
    print(f"tokens      {int(m['tokens']):,}")
    print(f"loss        {m['loss']:.4f} nats/{unit}")
    print(f"perplexity  {m['ppl']:.2f}")
    print(f"bits/{unit:<5}  {m['bpt']:.4f}")
    print(f"<unk> rate  {m['unk_rate']:.2%}")


def generate(
    run: Path = typer.Argument(..., help="Run directory."),
    prime: str = typer.Option("", help="Text to start from (lm)."),
    length: int = typer.Option(500, help="Tokens to generate (lm) or maximum length."),
    temperature: float = typer.Option(0.8, help="0 = greedy."),
    top_k: int = typer.Option(0, "--top-k", help="Sample from the k most likely (0 = all)."),
    top_p: float = typer.Option(1.0, "--top-p", help="Nucleus sampling mass."),
    seed: int = typer.Option(None, help="Seed for reproducible samples."),
    condition: str = typer.Option(None, help="Condition (condgen): a label, or a .npy row."),
    n: int = typer.Option(10, "--n", help="Number of samples (condgen)."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
) -> None:
    """Generate autoregressively, feeding the model's own output back; streams to stdout."""
    from seqlab.errors import SeqlabError
    from seqlab.tasks import load_run
    from seqlab.tasks.lm_use import generate_text

    if length < 0:
        raise SeqlabError(f"--length: must be >= 0, got {length}")
    task, model = load_run(run, which)
    if task.name != "lm":
        samples = task.generate_samples(
            model,
            condition=condition,
            n=n,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seed,
            max_length=length,
        )
        print("\n".join(samples))
        return
    for piece in generate_text(task, model, prime, length, temperature, top_k, top_p, seed):
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")
