"""A Transformer encoder-decoder run (``model.arch: transformer``) exports with ``seqlab export``
and translates the same through ``--backend onnx`` as through torch, greedy and with a beam."""

from __future__ import annotations

import json

import pytest
from tests.conftest import PAIRS, _train

from seqlab.cli import main


@pytest.fixture(scope="module")
def transformer_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("transformer_s2s")
    pairs = root / "pairs.tsv"
    pairs.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 4))
    run = _train(
        root, "ts2s", "seq2seq", f"{{train: {pairs}, tokenizer: word, valid_fraction: 0.0}}",
        "{arch: transformer, embedding_dim: 16, num_heads: 2, num_layers: 2, dropout: 0.0}",
        "batch_size: 8, max_steps: 60, lr: 0.01, eval_every: 60",
    )  # fmt: skip
    main(["export", str(run)])
    return run


def _out(capsys, *argv) -> str:
    main([str(a) for a in argv])
    return capsys.readouterr().out


def test_the_manifest_names_the_encoder_and_the_step(transformer_run):
    manifest = json.loads((transformer_run / "export/onnx/manifest.json").read_text())
    assert manifest["cell"] is None and manifest["transformer"]["num_heads"] == 2
    assert manifest["graphs"]["encoder"]["outputs"] == ["memory_keys", "memory_values", "mask"]
    assert manifest["graphs"]["step"]["outputs"] == ["logp", "keys_out", "values_out", "attn"]


@pytest.mark.parametrize("beam", ["1", "4"])
def test_translations_are_the_same(transformer_run, tmp_path, capsys, beam):
    lines = tmp_path / "in.txt"
    lines.write_text("".join(s + "\n" for s, _ in PAIRS))
    args = ("translate", transformer_run, "--input", lines, "--beam", beam)
    want = _out(capsys, *args)
    assert len(want.splitlines()) == len(PAIRS) and want.strip()
    assert _out(capsys, *args, "--backend", "onnx") == want
