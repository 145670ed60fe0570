"""A Transformer LM run (``model.arch: transformer``) exports with ``seqlab export`` and
generates and evaluates the same through ``--backend onnx`` as through torch, from the run or
from the export directory itself; its int8 export generates too."""

from __future__ import annotations

import json

import pytest
from tests.conftest import _train

from seqlab.cli import main


@pytest.fixture(scope="module")
def transformer_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("transformer")
    text = root / "text.txt"
    text.write_text("the quick brown fox jumps over the lazy dog.\n" * 60)
    run = _train(
        root, "tlm", "lm", f"{{train: {text}, tokenizer: char, bptt: 16}}",
        "{arch: transformer, embedding_dim: 16, num_heads: 2, num_layers: 2, dropout: 0.0}",
        "batch_size: 8, max_steps: 40, lr: 0.01, eval_every: 40",
    )  # fmt: skip
    main(["export", str(run)])
    main(["export", str(run), "--int8"])
    return run


def _out(capsys, *argv) -> str:
    main([str(a) for a in argv])
    return capsys.readouterr().out


def test_the_manifest_describes_the_cache(transformer_run):
    manifest = json.loads((transformer_run / "export/onnx/manifest.json").read_text())
    assert manifest["cell"] is None and manifest["transformer"] == {"num_heads": 2, "max_len": 16}
    step = manifest["graphs"]["step"]
    assert step["inputs"] == ["tokens", "past_keys", "past_values", "real", "positions"]
    assert step["outputs"] == ["logp", "keys_out", "values_out"]


@pytest.mark.parametrize("decoding", [("--temperature", "0"), ("--seed", "3"), ("--beam", "3")])
def test_generation_is_the_same_from_the_run_and_from_the_export(transformer_run, capsys, decoding):
    args = ("--prime", "the ", "--length", "40", *decoding)  # 40 > max_len: the window slides
    want = _out(capsys, "generate", transformer_run, *args)
    assert want.startswith("the ") and len(want) > 20
    assert _out(capsys, "generate", transformer_run, *args, "--backend", "onnx") == want
    export = transformer_run / "export" / "onnx"
    assert _out(capsys, "generate", export, *args, "--backend", "onnx") == want


def test_evaluation_and_int8_generation(transformer_run, capsys, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("the lazy dog jumps over the quick brown fox.\n" * 5)
    torch_out = json.loads(_out(capsys, "evaluate", transformer_run, "--data", text, "--json"))
    args = ("evaluate", transformer_run, "--data", text, "--json", "--backend", "onnx")
    onnx_out = json.loads(_out(capsys, *args))
    assert onnx_out["tokens"] == torch_out["tokens"]
    assert onnx_out["loss"] == pytest.approx(torch_out["loss"], abs=1e-5)
    args = ("generate", transformer_run, "--prime", "the ", "--length", "30", "--seed", "1")
    int8 = _out(capsys, *args, "--backend", "onnx-int8")
    assert int8.startswith("the ") and len(int8) > 20
