"""``seqlab export RUN --format onnx [--int8]``: a run's graphs for ONNX Runtime.

The export directory (default ``RUN/export/onnx`` or ``RUN/export/onnx-int8``) is written whole
into a temporary sibling and then swapped in, and holds everything a backend needs: the graphs,
the run's config, tokenizers and vocabularies, the CRF of a tagger, and ``manifest.json`` with
the versions and the SHA-256 of the checkpoint it came from (see :mod:`seqlab.runtime.manifest`).

``--int8`` applies ONNX Runtime's dynamic quantization: the weights of every matrix product
(the recurrent cells, attention, the output layer) are stored as int8 and the activations are
quantized on the fly; embeddings (gathers), softmaxes and the element-wise gate arithmetic stay
in fp32.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import warnings
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab import __version__
from seqlab.errors import SeqlabError
from seqlab.export.graphs import GRAPHS, Graph
from seqlab.export.transformer_graphs import transformer_lm_graphs
from seqlab.export.transformer_seq2seq_graphs import transformer_seq2seq_graphs
from seqlab.models.transformer_lm import TransformerLM
from seqlab.models.transformer_seq2seq import TransformerSeq2Seq
from seqlab.runtime.manifest import MANIFEST, weights_digest, write_manifest
from seqlab.runtime.ort import Session
from seqlab.tasks import load_run
from seqlab.train import checkpoint as ckpt

OPSET = 17
ARTIFACTS = ("config.yaml", "*.json", "train_targets.txt")


def export_onnx(
    run: Path,
    out: Path | None = None,
    *,
    int8: bool = False,
    which: str = "best",
    force: bool = False,
) -> tuple[Path, dict[str, float]]:
    """Export ``run``; returns the export directory and, per graph, the largest difference
    between ONNX Runtime and torch on the graph's example inputs. ``out`` may be replaced when
    it is empty or holds only an export of ``run``; ``force`` replaces any directory."""
    task, model = load_run(run, which)
    out = Path(out) if out is not None else Path(run) / "export" / ("onnx-int8" if int8 else "onnx")
    if not force:
        check_out(out, Path(run))
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    entries, differences = export_graphs(graphs_of(task.name, model), tmp, int8=int8)
    _copy_artifacts(Path(run), tmp)
    manifest = _manifest(task, model, Path(run), which, int8)
    manifest["graphs"] = entries
    if task.name == "tag" and model.crf is not None:
        from safetensors.torch import save_file

        save_file(
            {k: v.contiguous() for k, v in model.crf.state_dict().items()},
            str(tmp / "crf.safetensors"),
        )
        manifest["crf"] = "crf.safetensors"
    write_manifest(tmp, manifest)
    _swap(tmp, out)
    return out, differences


def graphs_of(task: str, model: torch.nn.Module) -> list[Graph]:
    """The graphs of ``task``'s model (a Transformer LM's hold its key/value cache)."""
    if task == "lm" and isinstance(model, TransformerLM):
        return transformer_lm_graphs(model)
    if task == "seq2seq" and isinstance(model, TransformerSeq2Seq):
        return transformer_seq2seq_graphs(model)
    return GRAPHS[task](model)


def export_graphs(
    graphs: list[Graph], directory: Path, *, int8: bool = False
) -> tuple[dict[str, dict], dict[str, float]]:
    """Write each graph to ``directory/NAME.onnx``; returns the manifest's entries (file,
    inputs, outputs) and each graph's largest difference from torch on its example inputs."""
    differences, entries = {}, {}
    for graph in graphs:
        _export(graph, Path(directory) / f"{graph.name}.onnx", int8)
        session = Session(Path(directory) / f"{graph.name}.onnx", threads=1)
        differences[graph.name] = _difference(graph, session)
        # the exporter drops an input the graph never reads (the memory of a decoder without
        # attention): the manifest names the graph's own
        entries[graph.name] = {"file": session.path.name, "inputs": session.inputs}
        entries[graph.name]["outputs"] = session.outputs
    return entries, differences


def _export(graph: Graph, path: Path, int8: bool) -> None:
    with torch.no_grad(), warnings.catch_warnings(), _quiet_stderr():
        warnings.simplefilter("ignore")  # the TorchScript exporter's notes on shape inference
        torch.onnx.export(
            graph.module.eval(),
            graph.example,
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=graph.inputs,
            output_names=graph.outputs,
            dynamic_axes={k: v for k, v in graph.axes.items() if k in graph.inputs + graph.outputs},
        )
    if int8:
        _quantize(path)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2: the exporter's C++ side prints shape-inference notes there
    that say nothing to a user (the difference check below says what matters)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _quantize(path: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process first is for CNNs
    fp32 = path.with_suffix(".fp32.onnx")
    path.rename(fp32)
    quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8)
    fp32.unlink()


def _difference(graph: Graph, session: Session) -> float:
    """Largest |ONNX Runtime - torch| over the graph's outputs on its example inputs."""
    feeds = {name: t.numpy() for name, t in zip(graph.inputs, graph.example, strict=True)}
    with torch.no_grad():
        expected = graph.module(*graph.example)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = session(**feeds)
    worst = 0.0
    for name, want in zip(graph.outputs, expected, strict=True):
        a, b = np.asarray(got[name], dtype=np.float64), want.double().numpy()
        worst = max(worst, float(np.abs(a - b).max()) if a.size else 0.0)
    return worst


def _copy_artifacts(run: Path, out: Path) -> None:
    for pattern in ARTIFACTS:
        for path in run.glob(pattern):
            shutil.copy2(path, out / path.name)


def _manifest(task, model, run: Path, which: str, int8: bool) -> dict[str, Any]:
    import onnx
    import onnxruntime

    path = run / "checkpoints" / which
    if which == "best" and not path.exists():
        which, path = "last", run / "checkpoints" / "last"
    m = task.config.model
    return {
        "task": task.name,
        "int8": int8,
        **_sizes(model, m),
        "attention": getattr(m, "attention", "none") != "none",
        "char_features": getattr(m, "char_features", "none") != "none",
        "crf": None,
        "checkpoint": {
            "which": which,
            "step": ckpt.read_meta(path)["position"]["step"],
            "sha256": weights_digest(path),
        },
        "run": str(run.resolve()),
        "versions": {
            "seqlab": __version__,
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
    }


def _sizes(model: torch.nn.Module, config) -> dict[str, Any]:
    """The manifest's cell, num_layers and hidden_size, and a Transformer's heads and max_len."""
    blocks = getattr(model, "decoder_blocks", None) or getattr(model, "blocks", None)
    if blocks is None:  # a recurrent model
        return {
            "cell": config.cell,
            "num_layers": config.num_layers,
            "hidden_size": config.hidden_size,
        }
    attention = blocks[0].self_attn
    return {
        "cell": None,
        "num_layers": len(blocks),
        "hidden_size": attention.embed_dim,
        "transformer": {"num_heads": attention.num_heads, "max_len": model.max_len},
    }


def check_out(out: Path, run: Path) -> None:
    """Refuse to replace ``out`` unless it is missing, empty, or an export of ``run`` holding
    only the files its manifest lists (so a user's own file is never deleted)."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise SeqlabError(f"{out}: exists and is not a directory; choose another out")
    present = {p.name for p in out.iterdir()}
    if not present:
        return
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        # an export inside the run directory is the run's own, even where the run was moved
        own = out.resolve().is_relative_to(run.resolve())
        own = own or Path(manifest["run"]).resolve() == run.resolve()
        extra = sorted(present - _listed(manifest, present) - {MANIFEST})
    except (OSError, ValueError, TypeError, KeyError):  # no manifest, or not one of ours
        own, extra = False, sorted(present)
    if not own or extra:
        what = f"holds {', '.join(extra[:3])}" if extra else "holds another run's export"
        raise SeqlabError(
            f"{out}: {what}, not only an export of {run}; choose another out directory, or "
            "export with force to replace it and everything in it"
        )


def _listed(manifest: dict, present: set[str]) -> set[str]:
    """The files an export's manifest accounts for. A manifest of format 1 (before ``files``)
    names its graphs and CRF; the rest of such an export is the run's copied artifacts."""
    if "files" in manifest:
        return set(manifest["files"])
    named = {*manifest["graphs"].values(), manifest.get("crf")}
    return named | {name for name in present if any(fnmatch(name, p) for p in ARTIFACTS)}


def _swap(tmp: Path, out: Path) -> None:
    """Replace ``out`` with ``tmp``."""
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
