"""Which runtime runs a trained model: ``torch`` (the checkpoint), ``onnx`` or ``onnx-int8``
(an export of it, see ``seqlab export``).

An ONNX backend takes a run directory, whose ``export/onnx`` (or ``export/onnx-int8``) it uses,
or an export directory itself. Either way the export must come from the run's current
checkpoint: a stale or foreign one is refused with one line.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.errors import SeqlabError
from seqlab.runtime.manifest import Manifest, check_fresh, is_export, read_manifest
from seqlab.runtime.ort import RuntimeModel, runtime_model
from seqlab.runtime.ort_transformer import OrtTransformerLM
from seqlab.runtime.ort_transformer_seq2seq import OrtTransformerSeq2Seq

BACKENDS = ("torch", "onnx", "onnx-int8")


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise SeqlabError(
            f"--backend: {backend!r} is not valid; expected one of {', '.join(BACKENDS)}"
        )


def locate_export(path: Path, backend: str) -> tuple[Path, Path | None]:
    """(export directory, the run it must match or None) for ``path`` on ``backend``."""
    path = Path(path)
    if is_export(path):
        return path, None
    sub = path / "export" / ("onnx-int8" if backend == "onnx-int8" else "onnx")
    if not is_export(sub):
        flag = " --int8" if backend == "onnx-int8" else ""
        raise SeqlabError(
            f"{path}: no {backend} export ({sub} is missing); make it with "
            f"seqlab export {path} --format onnx{flag}"
        )
    return sub, path


def load_export(path: Path, backend: str, threads: int = 0) -> tuple[Path, Manifest, RuntimeModel]:
    """The export directory, its manifest and its runtime model."""
    export_dir, run = locate_export(path, backend)
    manifest = read_manifest(export_dir)
    check_fresh(export_dir, manifest, run)
    if manifest.transformer is not None:
        kind = OrtTransformerLM if manifest.task == "lm" else OrtTransformerSeq2Seq
        return export_dir, manifest, kind(export_dir, manifest, threads)
    return export_dir, manifest, runtime_model(export_dir, manifest, threads)
