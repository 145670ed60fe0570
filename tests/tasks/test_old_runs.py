"""Runs saved before checkpoints stored the model config nested still load, and answer exactly
what they answered then (tests/data/runs_v1/expected.json, recorded by the code of that time)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from seqlab.cli import main
from seqlab.decode.strategy import Beam, Greedy, Sample
from seqlab.tasks import load_run
from seqlab.tasks.options import EvaluateOptions, GenerateOptions, TranslateOptions
from seqlab.train.checkpoint import model_section, read_meta

OLD = Path(__file__).resolve().parents[1] / "data" / "runs_v1"
EXPECTED = json.loads((OLD / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def old_runs(tmp_path: Path) -> Path:
    """A copy, so that nothing a load might write lands in the repository."""
    return Path(shutil.copytree(OLD, tmp_path / "runs_v1"))


def test_an_old_language_model_generates_and_scores_the_same(old_runs):
    task, model = load_run(old_runs / "lm", "last")
    greedy = GenerateOptions(prime="the ", max_tokens=30, strategy=Greedy())
    sample = GenerateOptions(prime="the ", max_tokens=30, strategy=Sample(1.0, seed=3), n=2)
    assert task.generate(model, greedy) == EXPECTED["lm"]["generate"]
    assert task.generate(model, sample) == EXPECTED["lm"]["sample"]
    metrics = task.evaluate(model, EvaluateOptions(data=str(old_runs / "score.txt"))).metrics
    assert metrics == pytest.approx(EXPECTED["lm"]["evaluate"], rel=1e-6)


def test_an_old_seq2seq_run_translates_the_same(old_runs):
    task, model = load_run(old_runs / "seq2seq", "last")
    options = TranslateOptions(strategy=Beam(3, n_best=2))
    out = task.translate(model, ["a cat sat", "the big dog ran"], options)
    for t, (texts, scores) in zip(out, EXPECTED["seq2seq"]["translate"], strict=True):
        assert t.texts == texts
        assert [h.score for h in t.hypotheses] == pytest.approx(scores, rel=1e-6)


def test_a_checkpoint_stores_the_model_section_as_it_is_written(lm_config, tmp_path, capsys):
    config = lm_config(name="nested")
    main(["train", str(config), "--set", "train.max_steps=1"])
    run = tmp_path / "nested"
    saved = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    meta = read_meta(run / "checkpoints" / "last")
    vocab = json.loads((run / "vocab.json").read_text(encoding="utf-8"))
    assert meta["model_args"]["model"] == saved["model"]  # nested, nothing renamed
    assert meta["model_args"]["model"]["embedding"]["kind"] == "learned"
    assert meta["model_args"]["sizes"] == {"vocab_size": len(vocab["itos"])}


def test_old_flat_model_arguments_read_back_nested():
    meta = read_meta(OLD / "lm" / "checkpoints" / "last")
    sizes, model = model_section(meta["model_args"])
    assert sizes == {"vocab_size": 34}
    assert model["embedding"] == {"kind": "learned", "path": None, "freeze": False}
    assert (model["adaptive_cutoffs"], model["adaptive_div_value"]) == ([], 4.0)
    assert (model["embedding_dim"], model["hidden_size"], model["num_layers"]) == (8, 12, 2)
