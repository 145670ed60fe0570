"""The manifest of an export, and the checks that refuse a stale or foreign one.

An export directory holds the graphs, a copy of the run's config, tokenizers and vocabularies
(so it is enough on its own to translate or generate), and ``manifest.json``::

    {"format": "seqlab-onnx", "version": 1, "task": "seq2seq", "int8": false,
     "graphs": {"encoder": "encoder.onnx", "step": "step.onnx"},
     "checkpoint": {"which": "best", "step": 4200, "sha256": "..."},
     "run": "/abs/path/of/the/run", "versions": {"seqlab": ..., "onnxruntime": ..., ...}}

The checkpoint's SHA-256 is of its ``model.safetensors``: when the run it names still exists and
its checkpoint has changed since, the export is stale.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from seqlab.errors import SeqlabError

MANIFEST = "manifest.json"
FORMAT, VERSION = "seqlab-onnx", 1


def weights_digest(checkpoint: Path) -> str:
    """SHA-256 of a checkpoint directory's ``model.safetensors``."""
    digest = hashlib.sha256()
    with open(Path(checkpoint) / "model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(export_dir: Path, manifest: dict[str, Any]) -> None:
    data = {"format": FORMAT, "version": VERSION, **manifest}
    (Path(export_dir) / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False))


def is_export(path: Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def read_manifest(export_dir: Path) -> dict[str, Any]:
    """The manifest, or one line saying why this is not a usable export."""
    path = Path(export_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SeqlabError(f"{path}: not a seqlab export ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SeqlabError(f"{path}: not a seqlab ONNX export (format {data.get('format')!r})")
    if data.get("version") != VERSION:
        raise SeqlabError(
            f"{path}: export format version {data.get('version')} is not {VERSION}; export the "
            "run again with this seqlab (seqlab export RUN)"
        )
    return data


def check_fresh(export_dir: Path, manifest: dict[str, Any], run_dir: Path | None) -> None:
    """Refuse an export whose checkpoint is not the run's current one.

    ``run_dir``: the run the export is used with; None uses the run named in the manifest, if
    it still exists (an export moved away from its run is used as it is).
    """
    run = Path(run_dir) if run_dir is not None else Path(manifest.get("run", ""))
    which = manifest["checkpoint"]["which"]
    checkpoint = run / "checkpoints" / which
    if not (checkpoint / "model.safetensors").is_file():
        if run_dir is not None:
            raise SeqlabError(f"{run}: no checkpoint {which!r} to compare {export_dir} with")
        return
    if weights_digest(checkpoint) != manifest["checkpoint"]["sha256"]:
        step = manifest["checkpoint"].get("step", "?")
        raise SeqlabError(
            f"{export_dir}: exported from another checkpoint (step {step}) than {checkpoint}, "
            f"which has changed since (or belongs to another run); export again: "
            f"seqlab export {run}"
        )
