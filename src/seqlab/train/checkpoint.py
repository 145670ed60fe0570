"""Self-describing, atomically written checkpoints.

A checkpoint is a directory::

    checkpoints/last/
        model.safetensors     the weights (tied weights stored once); loadable by any tool
        trainer.safetensors   optimizer moments, RNG states, carried hidden state
        checkpoint.json       step, epoch, data position, best metric, patience, scheduler,
                              optimizer hyper-parameters, model section and sizes, format version

It is written into a temporary sibling directory, flushed to disk, and only then swapped in
place of the old one, so a crash mid-write leaves the previous checkpoint intact. Tensors are
always loaded on the CPU first, whatever device saved them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file, save_model

from seqlab.errors import SeqlabError

FORMAT_VERSION = 1
META_FILE = "checkpoint.json"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def save_checkpoint(
    path: Path, model: torch.nn.Module, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
) -> None:
    """Write checkpoint directory ``path`` atomically (see module docstring)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    old = path.with_name(f".{path.name}.old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_model(model, str(tmp / "model.safetensors"))
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in tensors.items()},
        str(tmp / "trainer.safetensors"),
    )
    (tmp / META_FILE).write_text(json.dumps({"format": FORMAT_VERSION, **meta}, indent=1))
    for f in tmp.iterdir():
        _fsync_file(f)
    _fsync_dir(tmp)
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.rename(path, old)
    os.rename(tmp, path)  # the switch: after this line the new checkpoint is the one found
    _fsync_dir(path.parent)
    shutil.rmtree(old, ignore_errors=True)


def _resolve(path: Path) -> Path:
    """``path`` itself, or the previous copy left by a swap that was cut short."""
    if (path / META_FILE).exists():
        return path
    old = path.with_name(f".{path.name}.old")
    if (old / META_FILE).exists():
        return old
    if not path.exists():
        raise SeqlabError(f"{path}: no such checkpoint")
    raise SeqlabError(f"{path}: not a checkpoint ({META_FILE} is missing)")


def read_meta(path: Path) -> dict[str, Any]:
    """The JSON part of a checkpoint."""
    path = _resolve(Path(path))
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # ValueError: bad JSON or bytes that are not UTF-8
        raise SeqlabError(f"{path / META_FILE}: corrupt checkpoint metadata ({e})") from None
    if not isinstance(meta, dict):
        raise SeqlabError(f"{path / META_FILE}: corrupt checkpoint metadata (not a JSON object)")
    if meta.get("format") != FORMAT_VERSION:
        raise SeqlabError(f"{path}: checkpoint format {meta.get('format')} is not supported")
    return meta


def load_weights(path: Path, model: torch.nn.Module) -> None:
    """Load ``model.safetensors`` into ``model`` (read on the CPU, copied to the model's device).

    Keys saved under an older name are renamed by the model's ``LEGACY_KEYS`` ({old prefix:
    new prefix}); tied weights are stored once. A tensor holding NaN or inf is refused.
    """
    path = _resolve(Path(path))
    file = path / "model.safetensors"
    state = _renamed(read_weights(path), getattr(model, "LEGACY_KEYS", {}))
    missing, unexpected = _key_mismatch(model, state)
    if missing or unexpected:
        raise SeqlabError(
            f"{path}: weights do not match the model (missing {sorted(missing)[:3]}, "
            f"unexpected {sorted(unexpected)[:3]})"
        )
    expected = model.state_dict()
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise SeqlabError(
                f"{file}: weights do not match the model: {name!r} is "
                f"{tuple(tensor.shape)} in the checkpoint but {tuple(expected[name].shape)} in "
                "the model the config describes (was a model size changed?)"
            )
    model.load_state_dict(state, strict=False)


def _renamed(state: dict[str, torch.Tensor], legacy: dict[str, str]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        for old, new in legacy.items():
            if key.startswith(old):
                key = new + key[len(old) :]
                break
        out[key] = value
    return out


def _key_mismatch(model: torch.nn.Module, state: dict) -> tuple[set[str], set[str]]:
    """(model keys the file lacks, file keys the model lacks); a tied weight is satisfied when
    any of its names is in the file."""
    expected = model.state_dict(keep_vars=True)
    groups: dict[int, set[str]] = {}
    for key, tensor in expected.items():
        groups.setdefault(id(tensor), set()).add(key)
    missing = {k for k, t in expected.items() if not groups[id(t)] & state.keys()}
    return missing, set(state) - set(expected)


def load_trainer_tensors(path: Path) -> dict[str, torch.Tensor]:
    """``trainer.safetensors`` (optimizer moments, RNG states, carried state), read on the CPU;
    a floating tensor holding NaN or inf is refused, as the weights' are."""
    file = _resolve(Path(path)) / "trainer.safetensors"
    damaged = "damaged and cannot be resumed (train again, or restore a copy of the run)"
    return _read_finite(file, "corrupt checkpoint", damaged)


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of checkpoint ``path``'s ``model.safetensors`` by their saved names, read on
    the CPU; a floating tensor holding NaN or inf is refused."""
    file = _resolve(Path(path)) / "model.safetensors"
    damaged = "damaged (use another checkpoint, e.g. --which last, or retrain)"
    return _read_finite(file, "cannot load weights", damaged)


def _read_finite(file: Path, unreadable: str, damaged: str) -> dict[str, torch.Tensor]:
    """A safetensors file's tensors on the CPU, each floating one checked to be finite; the
    two messages end the one-line errors of a file that cannot be read or holds NaN/inf."""
    try:
        tensors = load_file(str(file), device="cpu")
    except (SafetensorError, OSError) as e:
        raise SeqlabError(f"{file}: {unreadable} ({e})") from None
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise SeqlabError(
                f"{file}: tensor {name!r} holds NaN or infinite values; the checkpoint is "
                + damaged
            )
    return tensors


# ----------------------------------------------------------------------------- model arguments

#: the sizes a model takes from its data (the keys of ``model_args["sizes"]``)
SIZES = ("vocab_size", "src_vocab_size", "tgt_vocab_size", "num_classes", "num_tags", "num_chars")
SIZES += ("feature_size",)
#: keys of the earlier flat ``model_args`` whose name in the model section differs
_RENAMED = {"cutoffs": "adaptive_cutoffs", "div_value": "adaptive_div_value"}
_EMBEDDING = {f"embedding_{k}": k for k in ("kind", "path", "freeze", "trust_pickle")}


def model_section(args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(sizes, model section as written in the config) of a checkpoint's ``model_args``.

    Checkpoints store ``{"sizes": {...}, "model": {...}}``. Runs saved before stored the
    model's constructor arguments, flat (``embedding_kind``, ``cutoffs``, ``vocab_size`` side
    by side); those are read back into the same two parts.
    """
    if not isinstance(args, dict):
        raise SeqlabError("checkpoint: corrupt checkpoint metadata (model_args is not an object)")
    if "model" in args:
        sizes, model = args.get("sizes"), args["model"]
        if not isinstance(sizes, dict) or not isinstance(model, dict):
            raise SeqlabError("checkpoint: corrupt checkpoint metadata (model_args)")
        return sizes, model
    sizes = {k: v for k, v in args.items() if k in SIZES}
    flat = {k: v for k, v in args.items() if k not in SIZES}
    model = {_RENAMED.get(k, k): v for k, v in flat.items() if k not in _EMBEDDING}
    embedding = {_EMBEDDING[k]: v for k, v in flat.items() if k in _EMBEDDING}
    if embedding:
        model["embedding"] = embedding
    return sizes, model


# ----------------------------------------------------------------------------- state packing


def pack_optimizer(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimizer state_dict into tensors (for safetensors) and JSON."""
    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"optim.{pid}.{key}"] = value
            else:
                scalars[f"{pid}.{key}"] = value
    meta = {"name": _optimizer_name(optimizer), "param_groups": sd["param_groups"]}
    return tensors, {**meta, "scalars": scalars}


def _optimizer_name(optimizer: torch.optim.Optimizer) -> str:
    return type(optimizer).__name__.lower()  # adam, adamw, sgd: as train.optimizer spells them


def check_optimizer(optimizer: torch.optim.Optimizer, meta: dict, source: Path) -> None:
    """Refuse optimizer state saved by another optimizer than ``optimizer`` (``meta`` as
    :func:`pack_optimizer` wrote it; a checkpoint without ``name`` is told by its settings)."""
    name = _optimizer_name(optimizer)
    saved = meta.get("name")
    if saved is None:  # written before the name was recorded: compare the settings' keys
        keys = {k for group in meta["param_groups"] for k in group}
        ours = {k for group in optimizer.state_dict()["param_groups"] for k in group}
        saved = name if keys == ours else "another optimizer"
    if saved != name:
        raise SeqlabError(
            f"{source}: train.optimizer: the run was trained with {saved}, not {name}; a resume "
            f"keeps the run's optimizer (its state is in the checkpoint): resume with "
            f"optimizer {saved}, or start a new run"
        )


def unpack_optimizer(optimizer: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, pid, key = name.split(".", 2)
            state.setdefault(int(pid), {})[key] = value
    for name, value in meta["scalars"].items():
        pid, key = name.split(".", 1)
        state.setdefault(int(pid), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def pack_state(prefix: str, state: Any) -> dict[str, torch.Tensor]:
    """A recurrent state (None, a tensor, or a tuple of tensors) as named tensors."""
    if state is None:
        return {}
    if torch.is_tensor(state):
        return {f"{prefix}.0": state}
    return {f"{prefix}.{i}": t for i, t in enumerate(state)}


def unpack_state(prefix: str, tensors: dict[str, torch.Tensor], device) -> Any:
    items = sorted(
        ((int(k.rsplit(".", 1)[1]), v) for k, v in tensors.items() if k.startswith(prefix + ".")),
    )
    if not items:
        return None
    values = [v.to(device) for _, v in items]
    return values[0] if len(values) == 1 else tuple(values)
