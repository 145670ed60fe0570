"""End to end: train a conditional name generator, generate by class and by feature row."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import SHARED_DATA, needs_shared

from seqlab.cli import main


def _train(tmp_path: Path, data: str, *sets: str) -> Path:
    cfg = tmp_path / "g.yaml"
    cfg.write_text(
        "task: condgen\n"
        f"data: {{train: {data}, samples: 20}}\n"
        "model: {embedding_dim: 8, hidden_size: 32, condition_dim: 8, dropout: 0.0}\n"
        "train: {batch_size: 8, epochs: 8, lr: 0.02}\n"
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


def test_class_conditions_generate_names(tmp_path, capsys):
    names = tmp_path / "names"
    names.mkdir()
    (names / "Aa.txt").write_text("\n".join(["aab", "aaab", "aabb", "abab", "aaa"] * 4))
    (names / "Zz.txt").write_text("\n".join(["zzy", "zyzy", "zzz", "zzzy", "yzz"] * 4))
    run = _train(tmp_path, str(names))
    out = capsys.readouterr().out
    assert "copy_rate=" in out and "loss=" in out
    main(
        [
            "generate",
            str(run),
            "--condition",
            "Zz",
            "--n",
            "6",
            "--temperature",
            "0.5",
            "--seed",
            "1",
        ]
    )
    samples = capsys.readouterr().out.splitlines()
    assert len(samples) == 6 and all(set(s) <= set("zy") for s in samples)
    main(["generate", str(run), "--condition", "Aa", "--n", "4", "--temperature", "0"])
    greedy = capsys.readouterr().out.splitlines()
    assert len(set(greedy)) == 1 and set(greedy[0]) <= set("ab")
    main(["generate", str(run), "--condition", "Aa", "--n", "3", "--beam", "4"])
    best = capsys.readouterr().out.splitlines()
    assert len(best) == 3 and len(set(best)) == 3  # the three best of one search, all different
    assert all(set(b) <= set("ab") for b in best)
    with pytest.raises(SystemExit) as e:
        main(["generate", str(run), "--condition", "Korean"])
    assert e.value.code == 2
    assert "'Korean' is not a class; expected one of Aa, Zz" in capsys.readouterr().err


def test_feature_conditions(tmp_path, capsys):
    lines = ["abab", "baba", "abba"] * 6
    target = tmp_path / "caps.txt"
    target.write_text("\n".join(lines) + "\n")
    feats = np.eye(3, dtype=np.float32)[[i % 3 for i in range(len(lines))]]
    np.save(tmp_path / "f.npy", feats)
    run = _train(
        tmp_path,
        str(target),
        f"data.features={tmp_path / 'f.npy'}",
        "data.valid_fraction=0.0",
        "train.epochs=15",
    )
    capsys.readouterr()
    np.save(tmp_path / "one.npy", np.eye(3, dtype=np.float32))
    main(
        [
            "generate",
            str(run),
            "--condition",
            f"{tmp_path / 'one.npy'}:2",
            "--n",
            "2",
            "--temperature",
            "0",
        ]
    )
    assert capsys.readouterr().out.splitlines() == ["abba", "abba"]
    np.save(tmp_path / "short.npy", feats[:5])
    with pytest.raises(SystemExit) as e:
        _train(
            tmp_path,
            str(target),
            f"data.features={tmp_path / 'short.npy'}",
            f"out_dir={tmp_path / 'run2'}",
        )
    assert e.value.code == 2
    assert f"5 feature rows but {target} has 18 lines" in capsys.readouterr().err


@needs_shared
def test_names_slice(tmp_path, capsys):
    names = tmp_path / "names"
    names.mkdir()
    chars = Counter()
    for lang in ("Korean", "Irish", "Greek"):
        rows = (SHARED_DATA / "names" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
        (names / f"{lang}.txt").write_text("\n".join(rows[:60]) + "\n", encoding="utf-8")
        chars.update("".join(row + "\n" for row in rows[:60]))  # "\n": the end of a name
    run = _train(tmp_path, str(names), "train.epochs=2")
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    # a model of letter frequencies alone scores their entropy (3.1 nats here): the generator
    # must do clearly better, using the condition and the letters before
    total = sum(chars.values())
    unigram = -sum(n / total * math.log(n / total) for n in chars.values())
    assert last["loss"] < unigram - 0.5
    capsys.readouterr()
    main(["generate", str(run), "--condition", "Korean", "--n", "5", "--seed", "0"])
    assert len(capsys.readouterr().out.splitlines()) == 5
