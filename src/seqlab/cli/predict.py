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
from typing import Any

import typer

from seqlab.errors import SeqlabError


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)


def predict(
    run: Path = typer.Argument(..., help="Run directory of a classify or tag model."),
    input_file: Path = typer.Option(..., "--input", help="Text file: one text/sentence per line."),
    output_format: str = typer.Option("text", "--format", help="text or jsonl."),
    spans: bool = typer.Option(False, "--spans", help="Tagger: list entity spans."),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    encoding: str = typer.Option("utf-8", help="Text encoding of the input file."),
) -> None:
    """Predict a label per line (classifier) or a tag per token (tagger)."""
    from seqlab.data.io import iter_lines
    from seqlab.tasks import load_run

    if output_format not in ("text", "jsonl"):
        raise SeqlabError(f"--format: {output_format!r} is not valid; expected text or jsonl")
    task, model = load_run(run, which)
    lines = list(iter_lines(input_file, encoding, what="input file"))
    jsonl = output_format == "jsonl"
    if task.name == "classify":
        results = task.predict_texts(model, lines)
        for text, r in zip(lines, results, strict=True):
            print(json.dumps({"text": text, **r}, ensure_ascii=False) if jsonl else _label_line(r))
    elif task.name == "tag":
        for r in task.predict_sentences(model, lines):
            print(json.dumps(r, ensure_ascii=False) if jsonl else _tag_lines(r, spans))
    else:
        raise SeqlabError(
            f"predict: task {task.name!r} has no predict command (classify and tag do); "
            "use seqlab generate for generators"
        )


def _label_line(result: dict[str, Any]) -> str:
    return f"{result['label']}\t{result['probability']:.4f}"


def _tag_lines(result: dict[str, Any], spans: bool) -> str:
    if not spans:
        return " ".join(f"{t}/{g}" for t, g in zip(result["tokens"], result["tags"], strict=True))
    rows = [f"{s['type']}\t{s['start']}\t{s['end']}\t{s['text']}" for s in result["spans"]]
    return "\n".join(rows) + "\n"
