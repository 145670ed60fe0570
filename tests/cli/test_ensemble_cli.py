"""``--ensemble`` on translate, predict, evaluate and serve, and through ``seqlab.load``: the
commands answer with the ensemble's outputs, and refuse runs that cannot join it in one line."""

from __future__ import annotations

import json

import httpx
import pytest
from tests.serve.conftest import _serving

import seqlab
from seqlab.cli import main
from seqlab.errors import SeqlabError
from seqlab.models.ensemble import Ensemble
from seqlab.serve.app import create_app
from seqlab.serve.registry import describe, load_registry


def test_translate_with_an_ensemble_prints_what_the_api_gives(tiny_runs, tiny_twins, capsys):
    run, twin = tiny_runs["s2s"], tiny_twins["s2s"]
    sources = ["a b c", "c d e", "e a b"]
    want = seqlab.load(run, ensemble=[twin]).translate(sources, beam=3)
    capsys.readouterr()
    for source, expected in zip(sources, want, strict=True):
        main(["translate", str(run), source, "--beam", "3", "--ensemble", str(twin)])
        assert capsys.readouterr().out == expected.text + "\n"


def test_predict_with_an_ensemble_gives_the_mean_probability(
    tiny_runs, tiny_twins, capsys, tmp_path
):
    run, twin = tiny_runs["sentiment"], tiny_twins["sentiment"]
    texts = tmp_path / "texts.txt"
    texts.write_text("good great\nawful bad\n")
    capsys.readouterr()
    main(["predict", str(run), "--input", str(texts), "--format", "jsonl", "--ensemble", str(twin)])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    one, other = seqlab.load(run), seqlab.load(twin)
    for row, a, b in zip(
        rows,
        one.classify(["good great", "awful bad"]),
        other.classify(["good great", "awful bad"]),
        strict=True,
    ):
        for label, p in row["probabilities"].items():
            assert abs(p - (a.probabilities[label] + b.probabilities[label]) / 2) < 1e-5


def test_evaluate_a_tagger_ensemble(tiny_runs, tiny_twins, capsys, tmp_path):
    data = tmp_path / "ner.conll"
    data.write_text("Anna B-PER\nvisited O\nParis B-LOC\n. O\n\n" * 3)
    capsys.readouterr()
    main(
        [
            "evaluate",
            str(tiny_runs["ner"]),
            "--data",
            str(data),
            "--json",
            "--ensemble",
            str(tiny_twins["ner"]),
        ]
    )
    metrics = json.loads(capsys.readouterr().out)
    want = seqlab.load(tiny_runs["ner"], ensemble=[tiny_twins["ner"]]).evaluate(data).metrics
    assert metrics == pytest.approx(want) and 0 <= metrics["f1"] <= 1


def test_commands_refuse_an_ensemble_of_other_vocabularies(tiny_runs, cli_error, tmp_path):
    err = cli_error("translate", tiny_runs["s2s"], "a b", "--ensemble", tiny_runs["sentiment"])
    assert "vocabulary files" in err and str(tiny_runs["sentiment"]) in err
    texts = tmp_path / "t.txt"
    texts.write_text("x\n")
    err = cli_error(
        "predict", tiny_runs["sentiment"], "--input", texts, "--ensemble", tiny_runs["ner"]
    )
    assert "models must share their vocabularies" in err
    err = cli_error(
        "translate", tiny_runs["s2s"], "a b", "--ensemble", tiny_runs["s2s"], "--backend", "onnx"
    )
    assert "needs backend torch" in err


def test_serve_an_ensemble(tiny_runs, tiny_twins):
    run, twin = tiny_runs["sentiment"], tiny_twins["sentiment"]
    served = load_registry([f"pair={run}"], "cpu", ensemble=[twin])
    assert isinstance(served["pair"].model, Ensemble)
    info = describe(served["pair"])
    assert info.task == "classify" and info.parameters["pytorch"] == sum(
        p.numel() for p in served["pair"].model.parameters()
    )
    want = seqlab.load(run, ensemble=[twin]).classify(["good great", "awful bad"])
    with _serving(create_app(served)) as url:
        body = {"model": "pair", "inputs": ["good great", "awful bad"]}
        out = httpx.post(f"{url}/v1/classify", json=body, timeout=60).json()["outputs"]
    for row, ref in zip(out, want, strict=True):
        assert row["label"] == ref.label
        assert row["probabilities"] == pytest.approx(ref.probabilities, abs=1e-6)
    with pytest.raises(SeqlabError, match="exactly one RUN"):
        load_registry([str(run), f"b={twin}"], "cpu", ensemble=[twin])
