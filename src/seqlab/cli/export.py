"""``seqlab export``: write a run's graphs for ONNX Runtime (fp32 or int8)."""

from __future__ import annotations

from pathlib import Path

import typer

from seqlab.errors import SeqlabError


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    run: Path = typer.Argument(..., help="Run directory."),
    *,
    format_: str = typer.Option("onnx", "--format", help="onnx (the only format)."),
    int8: bool = typer.Option(False, "--int8", help="Dynamic int8 quantization of the weights."),
    out: Path = typer.Option(
        None, "--out", help="Export directory (default RUN/export/onnx or RUN/export/onnx-int8)."
    ),
    which: str = typer.Option("best", help="Checkpoint: best or last."),
    force: bool = typer.Option(
        False, "--force", help="Replace --out even if it holds files that are not this export."
    ),
) -> None:
    """Export RUN's graphs (seq2seq: encoder + one decoder step; lm and condgen: step; classify:
    the whole model; tag: its emissions), with a manifest; use them with --backend onnx."""
    from seqlab.export.onnx_export import export_onnx

    if format_ != "onnx":
        raise SeqlabError(f"--format: {format_!r} is not valid; expected onnx")
    path, differences = export_onnx(run, out, int8=int8, which=which, force=force)
    for name, diff in differences.items():
        print(f"{name:<10} {path / (name + '.onnx')}  max |ONNX - torch| = {diff:.2e}")
    print(f"export: {path}")
