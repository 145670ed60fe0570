"""End to end through the CLI: train a classifier, predict, evaluate; bad input exits 2."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.conftest import SHARED_DATA, needs_shared

from seqlab.cli import main


def _write_data(path: Path, n: int = 120, seed: int = 0) -> None:
    """Spam mentions prizes; ham talks about dinner. Learnable in a few steps."""
    rng = random.Random(seed)
    spam = ["win", "cash", "prize", "free", "claim", "now", "txt"]
    ham = ["see", "you", "at", "dinner", "ok", "love", "home", "later"]
    lines = []
    for i in range(n):
        label = "spam" if i % 4 == 0 else "ham"
        words = rng.choices(spam if label == "spam" else ham, k=rng.randint(2, 7))
        lines.append(f"{label}\t{' '.join(words)}")
    path.write_text("\n".join(lines) + "\n")


def _train(cfg: Path, out: Path, *sets: str) -> None:
    main(
        [
            "train",
            str(cfg),
            "--set",
            f"out_dir={out}",
            "--set",
            "train.progress=false",
            "--set",
            "train.threads=1",
            *[x for s in sets for x in ("--set", s)],
        ]
    )


def _config(tmp_path: Path, data: Path) -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "task: classify\n"
        f"data: {{train: {data}, class_weight: balanced}}\n"
        "model: {embedding_dim: 16, hidden_size: 16, pooling: mean, dropout: 0.0}\n"
        "train: {batch_size: 16, epochs: 6, lr: 0.01, metric: macro_f1}\n"
    )
    return cfg


def test_train_predict_evaluate(tmp_path, capsys):
    data = tmp_path / "sms.tsv"
    _write_data(data)
    run = tmp_path / "run"
    _train(_config(tmp_path, data), run)
    out = capsys.readouterr().out
    assert "macro_f1=" in out
    for name in ("config.yaml", "labels.json", "vocab.json", "test.tsv", "confusion.png"):
        assert (run / name).is_file(), name
    held_out = (run / "test.tsv").read_text().splitlines()
    assert len(held_out) == 12  # stratified 10% of 120
    assert set(held_out) <= set(data.read_text().splitlines())  # the lines, unchanged
    assert sum(line.startswith("spam\t") for line in held_out) == 3  # a quarter are spam

    inputs = tmp_path / "in.txt"
    inputs.write_text("win free cash now\nsee you at dinner\n")
    main(["predict", str(run), "--input", str(inputs)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["spam", "ham"]
    assert all(0.5 <= float(line.split("\t")[1]) <= 1 for line in lines)
    main(["predict", str(run), "--input", str(inputs), "--format", "jsonl"])
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[0]["label"] == "spam" and set(rows[0]["probabilities"]) == {"ham", "spam"}

    main(["evaluate", str(run), "--data", str(run / "test.tsv"), "--json"])
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["examples"] == 12 and metrics["accuracy"] >= 0.9
    main(["evaluate", str(run), "--data", str(run / "test.tsv")])
    assert "macro avg" in capsys.readouterr().out
    assert (run / "confusion_test.tsv.png").is_file()


def test_unknown_label_at_evaluation_errors_or_skips(tmp_path, capsys):
    data = tmp_path / "sms.tsv"
    _write_data(data, n=40)
    run = tmp_path / "run"
    _train(_config(tmp_path, data), run, "train.epochs=1")
    odd = tmp_path / "odd.tsv"
    odd.write_text("ham\tok home\nmaybe\twin cash\nspam\tfree prize\n")
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(run), "--data", str(odd)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "odd.tsv:2: label 'maybe' was not seen in training" in err
    # flip the flag in the run's config: skipped lines do not count
    cfg = run / "config.yaml"
    cfg.write_text(cfg.read_text().replace("unknown_label: error", "unknown_label: skip"))
    main(["evaluate", str(run), "--data", str(odd), "--json"])
    assert json.loads(capsys.readouterr().out)["examples"] == 2


def test_bad_label_column_exits_2_naming_the_line(tmp_path, capsys):
    data = tmp_path / "bad.tsv"
    data.write_text("ham\thello\nspam\tfree\nham only one column\n")
    with pytest.raises(SystemExit) as e:
        _train(_config(tmp_path, data), tmp_path / "run")
    assert e.value.code == 2
    assert "bad.tsv:3: text column 1 is out of range" in capsys.readouterr().err


@needs_shared
def test_sms_spam_slice(tmp_path, capsys):
    collection = SHARED_DATA / "sms-spam" / "SMSSpamCollection"
    lines = collection.read_text(encoding="utf-8").splitlines()
    data = tmp_path / "sms.tsv"
    data.write_text("\n".join(lines[:400]) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    _train(_config(tmp_path, data), run, "train.epochs=2")
    metrics = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    # the slice is 85.5% ham: answering "ham" always scores that accuracy, but a macro F1 of
    # at most 0.5 (spam's F1 is 0) and no spam recall; the model must clear both
    assert metrics["macro_f1"] > 0.6 and metrics["recall_spam"] > 0.5
    for label in ("ham", "spam"):  # per-class figures in every validation record
        p, r, f1 = (metrics[f"{k}_{label}"] for k in ("precision", "recall", "f1"))
        assert f1 == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)
