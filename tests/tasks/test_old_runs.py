"""Runs saved before checkpoints stored the model config nested still load, and answer exactly
what they answered then (tests/data/runs_v1/expected.json, recorded by the code of that time)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seqlab.decode.strategy import Beam, Greedy, Sample
from seqlab.tasks import load_run
from seqlab.tasks.options import EvaluateOptions, GenerateOptions, TranslateOptions

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
