"""Every task exports (``seqlab export``) and answers the same through ``--backend onnx`` as
through torch; int8 answers too; a stale or foreign export is refused with one line."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from seqlab.cli import main


def _out(capsys, *argv) -> str:
    main([str(a) for a in argv])
    return capsys.readouterr().out


def _both(capsys, *argv) -> tuple[str, str]:
    return _out(capsys, *argv), _out(capsys, *argv, "--backend", "onnx")


def test_the_export_holds_graphs_vocabularies_and_manifest(exported, capsys):
    for run in exported.values():
        manifest = json.loads((run / "export/onnx/manifest.json").read_text())
        assert manifest["format"] == "seqlab-onnx" and not manifest["int8"]
        graphs = [g["file"] for g in manifest["graphs"].values()]
        assert graphs and all((run / "export/onnx" / f).is_file() for f in graphs)
        assert set(graphs) <= set(manifest["files"]) and "config.yaml" in manifest["files"]
        assert (run / "export/onnx/config.yaml").is_file()
        assert len(manifest["checkpoint"]["sha256"]) == 64
        assert set(manifest["versions"]) == {"seqlab", "torch", "onnx", "onnxruntime"}


def test_seq2seq_translates_the_same(exported, pairs, tmp_path, capsys):
    lines = tmp_path / "in.txt"
    lines.write_text("".join(s + "\n" for s, _ in pairs) + "\n")
    for beam in ("1", "4"):
        torch_out, onnx_out = _both(
            capsys, "translate", exported["s2s"], "--input", lines, "--beam", beam
        )  # noqa: E501
        assert onnx_out == torch_out and len(torch_out.splitlines()) == len(pairs) + 1


def test_language_model_and_generator_sample_the_same(exported, capsys):
    args = ("generate", exported["lm"], "--prime", "the ", "--length", "60", "--seed", "3")
    torch_out, onnx_out = _both(capsys, *args)
    assert onnx_out == torch_out and torch_out.startswith("the ")
    args = ("generate", exported["names"], "--condition", "Zz", "--n", "4", "--seed", "1")
    assert len(set(_both(capsys, *args))) == 1


def test_language_model_evaluates_the_same(exported, tiny_runs, capsys, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("the lazy dog jumps over the quick brown fox.\n" * 5)
    torch_out, onnx_out = _both(capsys, "evaluate", exported["lm"], "--data", text, "--json")
    a, b = json.loads(torch_out), json.loads(onnx_out)
    assert a["tokens"] == b["tokens"] and a["loss"] == pytest.approx(b["loss"], abs=1e-5)


def test_classifier_and_tagger_predict_the_same(exported, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("good great\nawful\n\nfine bad\n")
    torch_out, onnx_out = _both(
        capsys, "predict", exported["sentiment"], "--input", texts, "--format", "jsonl"
    )  # noqa: E501
    for a, b in zip(torch_out.splitlines(), onnx_out.splitlines(), strict=True):
        a, b = json.loads(a), json.loads(b)
        assert a["label"] == b["label"] and a["probability"] == pytest.approx(
            b["probability"], abs=1e-5
        )  # noqa: E501
    sentences = tmp_path / "ner.txt"
    sentences.write_text("Anna visited Paris .\nParis visited Anna\n")
    torch_out, onnx_out = _both(capsys, "predict", exported["ner"], "--input", sentences, "--spans")
    assert onnx_out == torch_out and "PER" in torch_out


def _ops(path) -> dict[str, int]:
    """Node counts of a graph by kind; ``weights``: the matrix products (MatMul, Gemm) that read
    a stored weight, the ones dynamic quantization must turn into int8."""
    import onnx

    graph = onnx.load(str(path)).graph
    stored = {i.name for i in graph.initializer}
    counts = Counter(n.op_type for n in graph.node)
    products = ("MatMul", "Gemm")
    counts["weights"] = sum(
        n.op_type in products and bool(set(n.input) & stored) for n in graph.node
    )
    return counts


def test_int8_quantizes_every_weight_product_and_lstm(exported):
    """The int8 graphs hold one MatMulInteger per weight product of the fp32 graphs and one
    DynamicQuantizeLSTM per LSTM, and no fp32 weight product or LSTM is left."""
    main(["export", str(exported["s2s"]), "--int8"])
    for name in ("encoder", "step"):
        fp32 = _ops(exported["s2s"] / "export/onnx" / f"{name}.onnx")
        int8 = _ops(exported["s2s"] / "export/onnx-int8" / f"{name}.onnx")
        assert fp32["weights"] > 0 and int8["MatMulInteger"] == fp32["weights"], name
        assert int8["weights"] == 0 and int8["LSTM"] == 0, name
        assert int8["DynamicQuantizeLSTM"] == fp32["LSTM"], name
    assert _ops(exported["s2s"] / "export/onnx/encoder.onnx")["LSTM"] == 1  # the LSTM encoder


def test_int8_labels_equal_fp32_labels(exported, tmp_path, capsys):
    main(["export", str(exported["sentiment"]), "--int8"])
    capsys.readouterr()
    manifest = json.loads((exported["sentiment"] / "export/onnx-int8/manifest.json").read_text())
    assert manifest["int8"] is True
    assert _ops(exported["sentiment"] / "export/onnx-int8/classifier.onnx")["MatMulInteger"] > 0
    texts = tmp_path / "texts.txt"
    words = ["good", "great", "fine", "bad", "awful", "poor"]
    lines = [" ".join(words[(i * k) % 6] for k in range(1, 2 + i % 4)) for i in range(24)]
    texts.write_text("\n".join(lines) + "\n")
    args = ("predict", exported["sentiment"], "--input", texts, "--format", "jsonl")
    fp32 = [json.loads(line) for line in _out(capsys, *args, "--backend", "onnx").splitlines()]
    int8 = [json.loads(line) for line in _out(capsys, *args, "--backend", "onnx-int8").splitlines()]
    assert len(fp32) == len(lines) and {r["label"] for r in fp32} == {"pos", "neg"}
    assert [r["label"] for r in int8] == [r["label"] for r in fp32]
    for a, b in zip(fp32, int8, strict=True):
        assert b["probability"] == pytest.approx(a["probability"], abs=0.05)


def _error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_stale_missing_and_foreign_exports_are_refused(exported, tiny_runs, tmp_path, capsys):
    run = tmp_path / "sentiment"
    shutil.copytree(exported["sentiment"], run)
    shutil.rmtree(run / "export/onnx-int8", ignore_errors=True)
    err = _error(capsys, "predict", run, "--input", __file__, "--backend", "onnx-int8")
    assert "no onnx-int8 export" in err and "seqlab export" in err
    main(["train", "--resume", str(run), "--set", "train.max_steps=31"])  # the checkpoint changes
    capsys.readouterr()
    err = _error(capsys, "predict", run, "--input", __file__, "--backend", "onnx")
    assert "exported from another checkpoint" in err and f"seqlab export {run}" in err
    foreign = tmp_path / "ner"
    shutil.copytree(exported["ner"], foreign)
    shutil.rmtree(foreign / "export")
    shutil.copytree(exported["sentiment"] / "export", foreign / "export")  # another run's export
    err = _error(capsys, "predict", foreign, "--input", __file__, "--backend", "onnx")
    assert "exported from another checkpoint" in err
    manifest = run / "export/onnx/manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "version": 99}))
    assert "version 99" in _error(capsys, "predict", run, "--input", __file__, "--backend", "onnx")
