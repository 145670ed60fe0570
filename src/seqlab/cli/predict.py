"""``seqlab predict RUN --input FILE``: label texts (classify) or tag sentences (tag).

    classify   one text per line  ->  label<TAB>probability
    tag        one sentence per line, whitespace tokens  ->  token/TAG token/TAG ...
               with --spans: one line per entity, TYPE<TAB>start<TAB>end<TAB>text (end exclusive)
               and a blank line after each sentence

``--format jsonl`` prints one JSON object per input line instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seqlab.api import load
from seqlab.data.io import iter_lines
from seqlab.errors import SeqlabError


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)


def predict(
    run: Path = typer.Argument(..., help="Run directory of a classify or tag model."),
    *,
    input_file: Path = typer.Option(..., "--input", help="Text file: one text/sentence per line."),
    output_format: str = typer.Option("text", "--format", help="text or jsonl."),
    spans: bool = typer.Option(False, "--spans", help="Tagger: list entity spans."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    ensemble: list[Path] = typer.Option(
        None, "--ensemble", help="Another run to ensemble with RUN (same vocabularies); repeat."
    ),
    backend: str = typer.Option(
        "torch", "--backend", help="torch, onnx or onnx-int8 (see seqlab export)."
    ),
    encoding: str = typer.Option("utf-8", help="Text encoding of the input file."),
) -> None:
    """Predict a label per line (classifier) or a tag per token (tagger)."""
    if output_format not in ("text", "jsonl"):
        raise SeqlabError(f"--format: {output_format!r} is not valid; expected text or jsonl")
    model = load(run, backend, which=which, ensemble=ensemble or ())
    verb = model.classify if model.offers("classify") else model.tag
    lines = list(iter_lines(input_file, encoding, what="input file"))
    for prediction in verb(lines):
        if output_format == "jsonl":
            print(json.dumps(prediction.as_dict(), ensure_ascii=False))
        else:
            print(prediction.as_text(spans))
