"""``seqlab generate``: sample text from a language model or a conditional generator."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from seqlab.api import load
from seqlab.decode.limits import LIMITS


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    run: Path = typer.Argument(..., help="Run directory."),
    *,
    prime: str = typer.Option("", help="Text to start from (lm)."),
    length: int = typer.Option(500, help="Tokens to generate (lm) or maximum length."),
    temperature: float = typer.Option(0.8, help=f"In {LIMITS['temperature']}; 0 = greedy."),
    top_k: int = typer.Option(
        0, "--top-k", help=f"Sample from the k most likely, k in {LIMITS['top_k']} (0 = all)."
    ),
    top_p: float = typer.Option(
        1.0, "--top-p", help=f"Nucleus sampling mass in {LIMITS['top_p']}."
    ),
    seed: int = typer.Option(None, help="Seed for reproducible samples."),
    condition: str = typer.Option(None, help="Condition (condgen): a label, or a .npy row."),
    n: int = typer.Option(
        None, "--n", help="Number of samples (default: 1 for lm, 10 for condgen)."
    ),
    beam: int = typer.Option(
        0,
        "--beam",
        help=f"Beam search of this size, in {LIMITS['beam']}, instead of sampling (condgen: the "
        "n best).",
    ),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    backend: str = typer.Option(
        "torch", "--backend", help="torch, onnx or onnx-int8 (see seqlab export)."
    ),
) -> None:
    """Generate autoregressively, feeding the model's own output back; one sample streams to
    stdout as it is made."""
    model = load(run, backend, which=which)
    options = {"max_tokens": length, "condition": condition, "n": n, "beam": beam}
    sampling = {"temperature": temperature, "top_k": top_k, "top_p": top_p, "seed": seed}
    if (n or model.task.default_samples) == 1:
        model.generate(prime, **options, **sampling, on_piece=_write)
        sys.stdout.write("\n")
        return
    print(model.generate(prime, **options, **sampling))


def _write(_: int, piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()
