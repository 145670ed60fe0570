"""Checkpoint averaging: one checkpoint whose weights are the mean of N checkpoints' weights.

    mean[name] = (w_1[name] + w_2[name] + ... + w_N[name]) / N      for every floating tensor

The sum runs in float64, in the order the checkpoints are given, from fresh tensors (never in
place into a loaded one), and is cast back to each tensor's dtype only at the end. So the same
checkpoints in the same order always give bit-identical weights, and a weight stored under two
names (tied) cannot be added twice, as an in-place sum into shared storage would (fairseq #602).
Integer tensors (counters, index buffers) must be equal in every checkpoint and are kept.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import save_file

from seqlab.errors import SeqlabError
from seqlab.train import checkpoint as ckpt


def check_same_model(paths: Sequence[Path]) -> dict:
    """The metadata of the last of ``paths``, once every checkpoint is known to hold the same
    task and model (model section and sizes); else a one-line error naming the first that
    differs."""
    metas = [ckpt.read_meta(p) for p in paths]
    first = metas[0]
    for path, meta in zip(paths[1:], metas[1:], strict=True):
        if meta.get("task") != first.get("task"):
            raise SeqlabError(
                f"{path}: a {meta.get('task')} checkpoint cannot be averaged with the "
                f"{first.get('task')} checkpoint {paths[0]}"
            )
        if ckpt.model_section(meta["model_args"]) != ckpt.model_section(first["model_args"]):
            raise SeqlabError(
                f"{path}: another model than {paths[0]} (its model section or vocabulary sizes "
                "differ); only checkpoints of one model can be averaged"
            )
    return metas[-1]


def average_weights(paths: Sequence[Path]) -> dict[str, torch.Tensor]:
    """The mean of the weights of checkpoint directories ``paths`` (see the module docstring).

    Every checkpoint must hold the same tensor names, shapes and dtypes.
    """
    if not paths:
        raise SeqlabError("average: no checkpoints to average")
    first = ckpt.read_weights(paths[0])
    total = {k: v.to(torch.float64, copy=True) for k, v in first.items() if v.is_floating_point()}
    for path in paths[1:]:
        state = ckpt.read_weights(path)
        _check_alike(first, state, paths[0], path)
        for name in total:
            total[name] = total[name] + state[name].to(torch.float64)  # a new tensor each time
    count = float(len(paths))
    out = {}
    for name, tensor in first.items():
        out[name] = (total[name] / count).to(tensor.dtype) if name in total else tensor.clone()
    return out


def _check_alike(first: dict, state: dict, first_path: Path, path: Path) -> None:
    if set(state) != set(first):
        odd = sorted(set(state) ^ set(first))[:3]
        raise SeqlabError(f"{path}: holds other tensors than {first_path} ({', '.join(odd)})")
    for name, tensor in state.items():
        ref = first[name]
        if tensor.shape != ref.shape or tensor.dtype != ref.dtype:
            raise SeqlabError(
                f"{path}: tensor {name!r} is {tuple(tensor.shape)} {tensor.dtype}, but "
                f"{tuple(ref.shape)} {ref.dtype} in {first_path}; only checkpoints of one model "
                "can be averaged"
            )
        if not tensor.is_floating_point() and not torch.equal(tensor, ref):
            raise SeqlabError(f"{path}: integer tensor {name!r} differs from {first_path}")


def write_average(paths: Sequence[Path], target: Path) -> None:
    """Write checkpoint directory ``target``: the mean weights of ``paths``, the training state
    of the last of them (so the run can be resumed from the average), and in its metadata
    ``averaged_from``, the checkpoints averaged."""
    paths = [Path(p) for p in paths]
    meta = check_same_model(paths)
    weights = average_weights(paths)
    shutil.copytree(paths[-1], target)
    save_file(weights, str(target / "model.safetensors"))
    meta = {**meta, "metrics": {}, "averaged_from": [str(p) for p in paths]}
    (target / ckpt.META_FILE).write_text(json.dumps(meta, indent=1))
