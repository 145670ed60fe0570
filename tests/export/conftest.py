"""Every tiny run, copied and exported once for the export tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seqlab.cli import main
from seqlab.export.onnx_export import export_graphs
from seqlab.runtime.manifest import Manifest, read_manifest, write_manifest


@pytest.fixture(scope="session")
def exported(tiny_runs, tmp_path_factory):
    """A copy of every tiny run (so exports stay local to these tests), each exported. A test
    that changes one works on its own copy."""
    root = tmp_path_factory.mktemp("exported")
    runs = {}
    for name, run in tiny_runs.items():
        runs[name] = root / name
        shutil.copytree(run, runs[name])
        main(["export", str(runs[name])])
    return runs


def export_transformer(graphs: list, root: Path, task: str, int8: bool = False) -> Manifest:
    """Graphs of a Transformer with 2 layers of width 16 and 2 heads written to ``root`` with a
    manifest (of no run), as ``seqlab export`` writes them; returns the manifest read back."""
    entries, _ = export_graphs(graphs, root, int8=int8)
    checkpoint = {"which": "best", "step": 0, "sha256": "0" * 64}
    write_manifest(root, {
        "task": task, "int8": int8, "cell": None, "num_layers": 2, "hidden_size": 16,
        "attention": task == "seq2seq", "char_features": False, "crf": None, "graphs": entries,
        "checkpoint": checkpoint, "run": str(root), "versions": {},
        "transformer": {"num_heads": 2, "max_len": graphs[0].module.model.max_len},
    })  # fmt: skip
    return read_manifest(root)
