"""``data.valid_overlap: drop_substrings`` through the CLI: validation examples found whole
inside a training example are left out of validation, counted at the start, and ``seqlab
evaluate`` still scores the whole file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seqlab.cli import main

TRAIN = [
    "spam\twin cash now",
    "spam\tclaim your free prize today",
    "ham\tsee you at dinner",
    "ham\tok love you later",
] * 8
INSIDE = ["cash now", "your free prize", "see you at dinner", "love you", "today"]
NOVEL = ["win free cash prize now", "see you at home later", "dinner at home ok"]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _train(tmp_path: Path, valid: Path, overlap: str) -> Path:
    train = _write(tmp_path / "train.tsv", TRAIN)
    run = tmp_path / f"run_{overlap}"
    sets = {
        "out_dir": run,
        "data.train": train,
        "data.valid": valid,
        "data.valid_overlap": overlap,
        "model.embedding_dim": 8,
        "model.hidden_size": 8,
        "train.batch_size": 8,
        "train.epochs": 1,
        "train.progress": "false",
        "train.threads": 1,
    }
    args = [x for k, v in sets.items() for x in ("--set", f"{k}={v}")]
    config = _write(tmp_path / "c.yaml", ["task: classify", "data: {train: unset}"])
    main(["train", str(config), *args])
    return run


def test_examples_inside_training_text_leave_validation_but_not_evaluation(tmp_path, capsys):
    # the contained texts carry a label never seen in training: validating on them would stop
    # the run with an error, so a run that trains shows they were left out
    labelled = [f"ham\t{t}" for t in NOVEL[:2]] + [f"spam\t{NOVEL[2]}"]
    odd = _write(tmp_path / "odd.tsv", labelled + [f"maybe\t{t}" for t in INSIDE])
    with pytest.raises(SystemExit) as e:
        _train(tmp_path, odd, "keep")
    assert e.value.code == 2 and "label 'maybe' was not seen" in capsys.readouterr().err

    run = _train(tmp_path, odd, "drop_substrings")
    err = capsys.readouterr().err
    assert "valid_overlap: kept 3 of 8 validation examples, dropped 5" in err
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    (note,) = [r for r in records if r["split"] == "valid_overlap"]
    assert (note["kept"], note["dropped"], note["step"]) == (3, 5, 0)
    assert any(r["split"] == "valid" and "accuracy" in r for r in records)

    full = _write(tmp_path / "full.tsv", labelled + [f"ham\t{t}" for t in INSIDE])
    main(["evaluate", str(run), "--data", str(full), "--json"])
    assert json.loads(capsys.readouterr().out)["examples"] == 8


def test_a_validation_file_wholly_inside_training_text_is_an_error(tmp_path, capsys):
    inside = _write(tmp_path / "inside.tsv", [f"ham\t{t}" for t in INSIDE])
    with pytest.raises(SystemExit) as e:
        _train(tmp_path, inside, "drop_substrings")
    assert e.value.code == 2
    assert "inside.tsv: data.valid_overlap drop_substrings leaves no example" in (
        capsys.readouterr().err
    )
