"""The manifest of an export, and the checks that refuse a stale, foreign or altered one.

An export directory holds the graphs, a copy of the run's config, tokenizers and vocabularies
(so it is enough on its own to translate or generate), and ``manifest.json``::

    {"format": "seqlab-onnx", "version": 2, "task": "seq2seq", "int8": false,
     "graphs": {"encoder": {"file": "encoder.onnx", "inputs": [...], "outputs": [...]}, ...},
     "files": {"encoder.onnx": "<sha256>", "vocab.json": "<sha256>", ...},
     "checkpoint": {"which": "best", "step": 4200, "sha256": "..."},
     "run": "/abs/path/of/the/run", "versions": {"seqlab": ..., "onnxruntime": ..., ...}}

A Transformer's export adds ``"transformer": {"num_heads": ..., "max_len": ...}`` (its
``cell`` is null); a recurrent model's has no such key.

Reading it checks, each failure in one line:

- its shape, against the :class:`Manifest` schema (a missing key, a wrong type, a task that
  does not exist);
- every file it names stays inside the export directory (no ``../`` and no link out of it);
- every file's SHA-256, graphs and side files alike, so a graph swapped in from another run, a
  cut vocabulary or a damaged CRF is refused before anything runs.

``checkpoint.sha256`` is of the checkpoint's ``model.safetensors``: when the run it names still
exists and its checkpoint has changed since, the export is stale (:func:`check_fresh`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seqlab.errors import SeqlabError

MANIFEST = "manifest.json"
FORMAT, VERSION = "seqlab-onnx", 2

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Positive = Annotated[int, Field(ge=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class GraphEntry(_Strict):
    """One graph: its file in the export directory, and its input and output names."""

    file: str
    inputs: list[str]
    outputs: list[str]


class CheckpointEntry(_Strict):
    """The checkpoint the export was made from: which, its step, its weights' SHA-256."""

    which: Literal["best", "last"]
    step: Annotated[int, Field(ge=0)]
    sha256: Sha256


class TransformerEntry(_Strict):
    """The sizes a Transformer export's runtime needs beyond ``num_layers`` and ``hidden_size``
    (d_model): the heads of each block (d_k = hidden_size / num_heads) and the longest
    sequence positions are defined for."""

    num_heads: Positive
    max_len: Positive


class Manifest(_Strict):
    """``manifest.json``, checked: every key is required and typed."""

    format: Literal["seqlab-onnx"]
    version: Literal[2]
    task: Literal["seq2seq", "lm", "condgen", "classify", "tag"]
    int8: bool
    cell: Literal["rnn", "lstm", "gru"] | None  # None: a Transformer
    num_layers: Positive
    hidden_size: Positive
    attention: bool
    char_features: bool
    crf: str | None
    graphs: dict[str, GraphEntry]
    files: dict[str, Sha256]
    checkpoint: CheckpointEntry
    run: str
    versions: dict[str, str]
    transformer: TransformerEntry | None = None  # absent for a recurrent model


def file_digest(path: Path) -> str:
    """SHA-256 of one file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_digest(checkpoint: Path) -> str:
    """SHA-256 of a checkpoint directory's ``model.safetensors``."""
    return file_digest(Path(checkpoint) / "model.safetensors")


def write_manifest(export_dir: Path, manifest: dict) -> None:
    """Write ``manifest.json`` with the SHA-256 of every other file in ``export_dir``."""
    export_dir = Path(export_dir)
    files = {
        p.name: file_digest(p)
        for p in sorted(export_dir.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    data = {"format": FORMAT, "version": VERSION, **manifest, "files": files}
    Manifest.model_validate(data)  # what is written is what a reader accepts
    (export_dir / MANIFEST).write_text(json.dumps(data, indent=1, ensure_ascii=False))


def is_export(path: Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def read_manifest(export_dir: Path) -> Manifest:
    """The checked manifest (see the module docstring), or one line saying why this is not a
    usable export."""
    path = Path(export_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SeqlabError(f"{path}: not a seqlab export ({e})") from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise SeqlabError(f"{path}: not a seqlab export (a JSON {kind}, expected an object)")
    if data.get("format") != FORMAT:
        raise SeqlabError(f"{path}: not a seqlab ONNX export (format {data.get('format')!r})")
    if data.get("version") != VERSION:
        raise SeqlabError(
            f"{path}: export format version {data.get('version')} is not {VERSION}; export the "
            "run again with this seqlab (seqlab export RUN)"
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "manifest"
        raise SeqlabError(
            f"{path}: {where}: {first['msg']}; the manifest is damaged: export the run again "
            "(seqlab export RUN)"
        ) from None
    _check_files(Path(export_dir), manifest)
    return manifest


def inside(export_dir: Path, name: str) -> Path:
    """``export_dir / name``, refused if it leads outside ``export_dir`` (``..``, an absolute
    path, or a symbolic link out of it)."""
    root = Path(export_dir).resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise SeqlabError(
            f"{Path(export_dir) / MANIFEST}: file {name!r} is outside the export directory; "
            "an export names only files inside it"
        )
    return path


def _check_files(export_dir: Path, manifest: Manifest) -> None:
    """Every file named exists inside ``export_dir``, is listed, and has its SHA-256."""
    named = [g.file for g in manifest.graphs.values()] + ([manifest.crf] if manifest.crf else [])
    for name in named:
        if name not in manifest.files:
            raise SeqlabError(
                f"{export_dir / MANIFEST}: {name!r} has no SHA-256 in files; the manifest is "
                "damaged: export the run again (seqlab export RUN)"
            )
    for name, sha256 in manifest.files.items():
        path = inside(export_dir, name)
        if not path.is_file():
            raise SeqlabError(f"{export_dir}: {name} is missing; export the run again")
        if file_digest(path) != sha256:
            raise SeqlabError(
                f"{path}: changed since it was exported (its SHA-256 is not the manifest's); "
                "the export was altered or mixed with another: export the run again "
                "(seqlab export RUN)"
            )


def check_fresh(export_dir: Path, manifest: Manifest, run_dir: Path | None) -> None:
    """Refuse an export whose checkpoint is not the run's current one.

    ``run_dir``: the run the export is used with; None uses the run named in the manifest, if
    it still exists (an export moved away from its run is used as it is).
    """
    run = Path(run_dir) if run_dir is not None else Path(manifest.run)
    which = manifest.checkpoint.which
    checkpoint = run / "checkpoints" / which
    if not (checkpoint / "model.safetensors").is_file():
        if run_dir is not None:
            raise SeqlabError(f"{run}: no checkpoint {which!r} to compare {export_dir} with")
        return
    if weights_digest(checkpoint) != manifest.checkpoint.sha256:
        raise SeqlabError(
            f"{export_dir}: exported from another checkpoint (step {manifest.checkpoint.step}) "
            f"than {checkpoint}, which has changed since (or belongs to another run); export "
            f"again: seqlab export {run}"
        )
