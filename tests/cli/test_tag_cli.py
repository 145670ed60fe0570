"""End to end through the CLI: train a tagger, predict (tags, spans, jsonl), evaluate."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from tests.conftest import SHARED_DATA, needs_shared

from seqlab.cli import main


def _write_iob1(path: Path, n: int = 60, seed: int = 0) -> None:
    """Sentences like "Maria Lopez visited Paris ." in 4-column CoNLL-03 layout, IOB1 tags."""
    rng = random.Random(seed)
    first, last = ["Maria", "John", "Anna", "Peter"], ["Lopez", "Smith", "Kim", "Brown"]
    places = ["Paris", "Berlin", "Tokyo", "Lima"]
    verbs = ["visited", "left", "loves", "saw"]
    lines = ["-DOCSTART- -X- -X- O", ""]
    for _ in range(n):
        rows = [
            (rng.choice(first), "I-PER"),
            (rng.choice(last), "I-PER"),
            (rng.choice(verbs), "O"),
            (rng.choice(places), "I-LOC"),
            (".", "O"),
        ]
        lines += [f"{tok} NNP I-NP {tag}" for tok, tag in rows] + [""]
    path.write_text("\n".join(lines))


def _train(tmp_path: Path, data: Path, *sets: str) -> Path:
    cfg = tmp_path / "t.yaml"
    cfg.write_text(
        "task: tag\n"
        f"data: {{train: {data}, scheme: iob1}}\n"
        "model: {embedding_dim: 16, hidden_size: 16, dropout: 0.0, output: crf,"
        " char_features: cnn, char_embedding_dim: 8, char_hidden_size: 8}\n"
        "train: {batch_size: 8, epochs: 6, lr: 0.02, metric: f1}\n"
    )
    run = tmp_path / "run"
    main(
        [
            "train",
            str(cfg),
            "--set",
            f"out_dir={run}",
            "--set",
            "train.progress=false",
            "--set",
            "train.threads=1",
            *[x for s in sets for x in ("--set", s)],
        ]
    )
    return run


def test_train_predict_evaluate(tmp_path, capsys):
    data = tmp_path / "eng.train"
    _write_iob1(data)
    run = _train(tmp_path, data)
    assert "f1=" in capsys.readouterr().out
    inputs = tmp_path / "in.txt"
    inputs.write_text("Anna Kim visited Berlin .\n\nJohn Brown left Lima .\n")
    main(["predict", str(run), "--input", str(inputs)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Anna/B-PER Kim/I-PER visited/O Berlin/B-LOC ./O"
    assert lines[1] == ""
    main(["predict", str(run), "--input", str(inputs), "--spans"])
    out = capsys.readouterr().out
    assert "PER\t0\t2\tAnna Kim\nLOC\t3\t4\tBerlin\n" in out
    main(["predict", str(run), "--input", str(inputs), "--format", "jsonl"])
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[2]["spans"][0] == {"type": "PER", "start": 0, "end": 2, "text": "John Brown"}
    main(["evaluate", str(run), "--data", str(data), "--json"])
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["f1"] > 0.9 and "f1_PER" in metrics and "f1_LOC" in metrics
    main(["evaluate", str(run), "--data", str(data)])
    assert "PER" in capsys.readouterr().out
    unseen = tmp_path / "unseen.conll"
    unseen.write_text("Anna B-PER\nvisited O\nACME B-ORG\n")  # ORG never in training
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(run), "--data", str(unseen)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert "unseen.conll:3: entity type 'ORG' was not seen in training (known: LOC, PER)" in err


def test_iobes_digits_and_casing_train_and_answer_in_bio(tmp_path, capsys):
    data = tmp_path / "eng.train"
    _write_iob1(data)
    text = data.read_text().replace("Lima", "Lima2026").replace("Tokyo", "TOKYO")
    data.write_text(text)
    sets = ("data.tag_encoding=iobes", "data.normalize_digits=true", "model.case_features=true")
    run = _train(tmp_path, data, *sets)
    capsys.readouterr()
    vocab = json.loads((run / "vocab.json").read_text())
    tags, words = vocab["tags"], vocab["words"]
    words = words["itos"] if isinstance(words, dict) else words
    assert {"S-LOC", "B-PER", "E-PER"} <= set(tags) and "I-PER" not in tags
    assert "Lima0000" in words and "Lima2026" not in words
    inputs = tmp_path / "in.txt"
    inputs.write_text("Anna Kim visited Lima1999 .\nPeter Brown saw TOKYO .\n")
    main(["predict", str(run), "--input", str(inputs)])
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "Anna/B-PER Kim/I-PER visited/O Lima1999/B-LOC ./O",
        "Peter/B-PER Brown/I-PER saw/O TOKYO/B-LOC ./O",
    ]
    main(["evaluate", str(run), "--data", str(data), "--json"])
    assert json.loads(capsys.readouterr().out)["f1"] > 0.9
    main(["export", str(run), "--format", "onnx"])  # the casing rule travels inside the graph
    capsys.readouterr()
    main(["predict", str(run), "--input", str(inputs), "--backend", "onnx"])
    assert capsys.readouterr().out.splitlines() == lines
    with pytest.raises(SystemExit) as e:
        _train(tmp_path, data, "model.char_features=none", "model.case_features=true")
    assert e.value.code == 2 and "case_features: needs char_features" in capsys.readouterr().err


def test_bad_files_exit_2_with_file_and_line(tmp_path, capsys):
    data = tmp_path / "bad.conll"
    data.write_text("EU NNP I-NP I-ORG\nrejects VBZ O\n")
    with pytest.raises(SystemExit) as e:
        _train(tmp_path, data)
    assert e.value.code == 2
    assert "bad.conll:2: 3 column(s), expected 4" in capsys.readouterr().err
    data.write_text("a O\n\nJohn I-PER\n")
    with pytest.raises(SystemExit) as e:
        _train(tmp_path, data, "data.scheme=bio", "data.bad_tags=error")
    assert e.value.code == 2
    assert "bad.conll:3: tag sequence breaks BIO" in capsys.readouterr().err


@needs_shared
def test_wnut17_slice(tmp_path, capsys):
    text = (SHARED_DATA / "wnut17" / "wnut17train.conll").read_text(encoding="utf-8")
    data = tmp_path / "wnut.conll"
    sentences = re.split(r"\n[ \t]*\n", text)  # most blank lines hold a tab
    data.write_text("\n\n".join(sentences[:80]) + "\n", encoding="utf-8")
    sets = ("data.scheme=bio", "train.epochs=1", "model.output=softmax", "train.log_every=1")
    run = _train(tmp_path, data, *sets)
    # a smoke test of the real file, not of quality (80 sentences teach a tiny model no entity):
    # every sentence is read back, with WNUT's six entity types, and the training loss falls
    capsys.readouterr()
    main(["evaluate", str(run), "--data", str(data), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["sentences"] == 80
    types = {"corporation", "creative-work", "group", "location", "person", "product"}
    assert {k.removeprefix("f1_") for k in report if k.startswith("f1_")} == types
    rows = [json.loads(r) for r in (run / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r["split"] == "train"]
    assert len(losses) >= 5 and sum(losses[-3:]) < 0.5 * sum(losses[:3])
