"""``seqlab evaluate``: score files with a trained model, whatever its task."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seqlab.api import load


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)


def evaluate(
    run: Path = typer.Argument(..., help="Run directory."),
    *,
    data: Path = typer.Option(None, "--data", help="File to score (lm, classify, tag)."),
    src: Path = typer.Option(None, "--src", help="Source sentences (seq2seq)."),
    ref: Path = typer.Option(None, "--ref", help="Reference translations (seq2seq)."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    ensemble: list[Path] = typer.Option(
        None, "--ensemble", help="Another run to ensemble with RUN (same vocabularies); repeat."
    ),
    backend: str = typer.Option(
        "torch", "--backend", help="torch, onnx or onnx-int8 (see seqlab export)."
    ),
    encoding: str = typer.Option("utf-8", help="Text encoding of the files."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Score files with a trained model: LM loss, perplexity and bits per token; classifier
    accuracy and F1; tagger entity F1; seq2seq BLEU and chrF."""
    model = load(run, backend, which=which, ensemble=ensemble or ())
    result = model.evaluate(data, src=src, ref=ref, encoding=encoding)
    print(json.dumps(result.metrics) if as_json else result.report)
