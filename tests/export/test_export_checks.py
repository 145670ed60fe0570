"""An export is checked when it is loaded, each failure one line (exit 2) before anything runs:
the manifest against its schema, every file against the SHA-256 the manifest records, file
names that stay inside the export, graphs whose inputs and outputs are the manifest's, side
files that fit the graphs; and ``export --out`` never deletes a directory that is not its own
export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from seqlab.cli import main
from seqlab.runtime.manifest import file_digest

bad_input = pytest.mark.bad_input


def _copy(exported: dict[str, Path], name: str, tmp_path: Path) -> tuple[Path, Path]:
    """(a copy of the exported run ``name``, its export directory)."""
    run = tmp_path / name
    shutil.copytree(exported[name], run)
    return run, run / "export" / "onnx"


def _edit(export: Path, change) -> None:
    path = export / "manifest.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data)))


def _rehash(export: Path, *names: str) -> None:
    """Record the files' current SHA-256 (as someone who edits the manifest too would)."""

    def change(data: dict) -> dict:
        data["files"].update({n: file_digest(export / n) for n in names})
        return data

    _edit(export, change)


def _use(cli_error, run: Path) -> str:
    """The error of using ``run``'s export (generate for a language model, else predict)."""
    if run.name == "lm":
        return cli_error("generate", run, "--prime", "the", "--backend", "onnx")
    return cli_error("predict", run, "--input", __file__, "--backend", "onnx")


def _without(key: str):
    return lambda data: {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize(
    "change, message",
    [
        (_without("checkpoint"), "checkpoint: Field required"),
        (lambda d: {**d, "num_layers": "1"}, "num_layers: Input should be a valid integer"),
        (lambda d: list(d), "not a seqlab export (a JSON list, expected an object)"),
        (lambda d: {**d, "task": "summarize"}, "task: Input should be 'seq2seq', 'lm'"),
    ],
    ids=["missing-key", "wrong-type", "json-list", "unknown-task"],
)
@bad_input(
    kind="export",
    command="seqlab translate/predict/serve --backend onnx, manifest.json with a missing key, a "
    "wrong type, a JSON list or an unknown task",
    outcome="error: EXPORT/manifest.json: checkpoint: Field required; the manifest is damaged "
    "(exit 2)",
)
def test_a_manifest_that_breaks_its_schema_is_refused(
    exported, tmp_path, cli_error, change, message
):
    run, export = _copy(exported, "sentiment", tmp_path)
    _edit(export, change)
    err = _use(cli_error, run)
    assert f"{export / 'manifest.json'}: " in err and message in err


@bad_input(
    kind="export",
    command="an export whose step.onnx is another run's (copied in), used by translate/serve",
    outcome="error: EXPORT/step.onnx: changed since it was exported (its SHA-256 is not the "
    "manifest's) (exit 2); seqlab serve does not start",
)
def test_a_graph_from_another_run_is_refused_by_its_sha256(exported, tmp_path, cli_error):
    run, export = _copy(exported, "lm", tmp_path)
    shutil.copy(exported["names"] / "export/onnx/step.onnx", export / "step.onnx")
    err = _use(cli_error, run)
    assert f"{export / 'step.onnx'}: changed since it was exported" in err
    err = cli_error("serve", run, "--backend", "onnx", "--port", "0")
    assert "changed since it was exported" in err


@bad_input(
    kind="export",
    command="an export whose graph is another model's, its SHA-256 written into the manifest",
    outcome="error: EXPORT/step.onnx: not the step graph of this export: it takes (...) -> (...), "
    "the manifest says (...) (exit 2); seqlab serve does not start",
)
def test_a_graph_from_another_model_is_refused_by_its_inputs(exported, tmp_path, cli_error):
    run, export = _copy(exported, "lm", tmp_path)
    shutil.copy(exported["names"] / "export/onnx/step.onnx", export / "step.onnx")
    _rehash(export, "step.onnx")
    err = _use(cli_error, run)
    assert f"{export / 'step.onnx'}: not the step graph of this export" in err
    assert "the manifest says (tokens, h, c)" in err
    err = cli_error("serve", run, "--backend", "onnx", "--port", "0")
    assert "not the step graph of this export" in err


@pytest.mark.parametrize("name, key", [("vocab.json", "itos"), ("labels.json", None)])
@bad_input(
    kind="export",
    command="an export with a cut vocabulary or label list (valid JSON, entries removed)",
    outcome="error: EXPORT/vocab.json: changed since it was exported ... (exit 2)",
)
def test_a_cut_vocabulary_is_refused(exported, tmp_path, cli_error, name, key):
    run, export = _copy(exported, "sentiment", tmp_path)
    path = export / name
    data = json.loads(path.read_text())
    if key is None:
        data = data[:1]
    else:
        data[key] = data[key][:5]
    path.write_text(json.dumps(data))
    assert f"{path}: changed since it was exported" in _use(cli_error, run)


@bad_input(
    kind="export",
    command="an export whose crf.safetensors is garbage, or another tag set's CRF (SHA-256 "
    "rewritten in the manifest)",
    outcome="error: EXPORT/crf.safetensors: cannot load the CRF (...) / not the CRF of this "
    "export's emissions graph (N tags) (exit 2)",
)
def test_a_crf_that_does_not_fit_the_graph_is_refused(exported, tmp_path, cli_error):
    run, export = _copy(exported, "ner", tmp_path)
    crf = export / "crf.safetensors"
    crf.write_bytes(b"garbage")
    assert "changed since it was exported" in _use(cli_error, run)
    _rehash(export, "crf.safetensors")
    assert f"{crf}: cannot load the CRF" in _use(cli_error, run)
    shutil.copy(exported["ner"] / "export/onnx/crf.safetensors", crf)
    weights = load_file(str(crf))
    tags = weights["transitions"].shape[0]
    save_file({k: torch.zeros((tags + 1,) * v.dim()) for k, v in weights.items()}, str(crf))
    _rehash(export, "crf.safetensors")
    assert f"not the CRF of this export's emissions graph ({tags} tags)" in _use(cli_error, run)


@bad_input(
    kind="export",
    command="manifest.json naming a graph outside the export (../../x.onnx, its SHA-256 right)",
    outcome="error: EXPORT/manifest.json: file '../../x.onnx' is outside the export directory "
    "(exit 2); the file is never opened",
)
def test_a_graph_path_outside_the_export_is_refused(exported, tmp_path, cli_error):
    run, export = _copy(exported, "sentiment", tmp_path)
    outside = "../../classifier.onnx"
    shutil.copy(export / "classifier.onnx", export / outside)

    def change(data: dict) -> dict:
        data["graphs"]["classifier"]["file"] = outside
        data["files"][outside] = data["files"].pop("classifier.onnx")
        return data

    _edit(export, change)
    assert f"file {outside!r} is outside the export directory" in _use(cli_error, run)


@bad_input(
    kind="export",
    command="seqlab export RUN --out DIR, DIR holding a user's file (or another run's export)",
    outcome="error: DIR: holds notes.txt, not only an export of RUN (exit 2); the file kept; "
    "--force replaces DIR",
)
def test_export_out_refuses_a_directory_that_is_not_its_own_export(exported, tmp_path, cli_error):
    run, export = _copy(exported, "sentiment", tmp_path)
    main(["export", str(run)])  # its own export: replaced
    (export / "notes.txt").write_text("keep me\n")
    err = cli_error("export", run)
    assert f"{export}: holds notes.txt, not only an export of {run}" in err
    assert (export / "notes.txt").read_text() == "keep me\n"
    other = exported["ner"] / "export" / "onnx"
    assert "holds another run's export" in cli_error("export", run, "--out", other)
    assert (other / "emissions.onnx").is_file()
    main(["export", str(run), "--force"])
    assert not (export / "notes.txt").exists() and (export / "classifier.onnx").is_file()


def test_export_replaces_the_runs_own_export_of_the_earlier_format(exported, tmp_path):
    """An export written before manifests listed their files (format 1: graphs as names, no
    ``files``) is still the run's own, and a new export replaces it."""
    run, export = _copy(exported, "ner", tmp_path)

    def format_1(data: dict) -> dict:
        data["graphs"] = {name: graph["file"] for name, graph in data["graphs"].items()}
        del data["files"]
        return data

    _edit(export, format_1)
    main(["export", str(run)])
    assert "files" in json.loads((export / "manifest.json").read_text())
