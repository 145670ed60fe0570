"""Every config in configs/ loads and trains 2 steps on a slice of its data.

Only sizes change (model widths, steps, batch, a few hundred lines of each data file); every
other key is the shipped one, so a key a config names wrongly, or a value its task refuses,
fails here. Configs whose data lives in ../shared/data skip when that folder is absent.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from pathlib import Path

import pytest
import yaml
from tests.conftest import REPO, SHARED_DATA, needs_shared

from seqlab.cli import main
from seqlab.tasks import load_run

SHARED_PREFIX = "../shared/data/"
LINES = {"train": 300, "train_tgt": 300, "valid": 60, "valid_tgt": 60}
NAMES_PER_CLASS = 15
TINY = {
    "train.max_steps": 2,
    "train.eval_every": 0,
    "train.log_every": 1,
    "train.batch_size": 4,
    "train.threads": 1,
    "train.time_limit_minutes": 0,
    "train.patience": 0,
    "train.progress": "false",
    "model.hidden_size": 8,
    "model.embedding_dim": 8,
}
PER_TASK = {
    "lm": {"data.bptt": 16},
    "seq2seq": {"data.max_pairs": 200, "data.bleu_sentences": 4, "data.vocab_size": 120},
    "classify": {},
    "tag": {"model.char_embedding_dim": 4, "model.char_hidden_size": 4},
    "condgen": {"data.samples": 0, "model.condition_dim": 4},
}


def shipped(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def uses_shared_data(path: Path) -> bool:
    return any(str(v).startswith(SHARED_PREFIX) for v in (shipped(path)["data"] or {}).values())


CONFIGS = [
    pytest.param(p, id=p.stem, marks=[needs_shared] if uses_shared_data(p) else [])
    for p in sorted((REPO / "configs").glob("*.yaml"))
]


def head(src: Path, dst: Path, lines: int) -> None:
    """The first ``lines`` lines of ``src`` (plain or .gz) into ``dst`` (same compression)."""
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rt", encoding="utf-8") as f:
        text = "".join(itertools.islice(f, lines))
    with opener(dst, "wt", encoding="utf-8") as f:
        f.write(text)


def slice_shared(data: dict, folder: Path) -> dict[str, str]:
    """``data.KEY=PATH`` overrides pointing every ../shared/data file of a config at a slice."""
    out = {}
    for key, value in data.items():
        if not str(value).startswith(SHARED_PREFIX):
            continue
        src = SHARED_DATA / value.removeprefix(SHARED_PREFIX)
        dst = folder / key / src.name
        dst.parent.mkdir(parents=True)
        if src.is_dir():  # condgen: one file per class
            dst.mkdir()
            for f in src.glob("*.txt"):
                head(f, dst / f.name, NAMES_PER_CLASS)
        else:
            head(src, dst, LINES[key])
        out[f"data.{key}"] = str(dst)
    return out


def tiny_overrides(config: Path, tmp_path: Path, text_file: Path) -> dict:
    data = shipped(config)
    overrides = {**TINY, **PER_TASK[data["task"]], "out_dir": tmp_path / "run"}
    if (data.get("model") or {}).get("arch") == "transformer":  # it has no hidden_size
        del overrides["model.hidden_size"]
    if ((data.get("model") or {}).get("embedding") or {}).get("kind") == "pretrained":
        del overrides["model.embedding_dim"]  # the vectors' own size
    overrides.update(slice_shared(data["data"], tmp_path))
    if data["data"]["train"] == "PYDOC_TOPICS":  # scripts/demo.sh puts a real path there
        overrides["data.train"] = text_file
    return overrides


def train_records(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("config", CONFIGS)
def test_config_trains_two_steps_on_a_slice(config, tmp_path, text_file, capsys):
    overrides = tiny_overrides(config, tmp_path, text_file)
    main(["train", str(config), *[a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]])

    assert "done (max_steps) at step 2:" in capsys.readouterr().out
    run_dir = tmp_path / "run"
    records = train_records(run_dir)
    assert [r["step"] for r in records if r["split"] == "train"] == [1, 2]
    assert math.isfinite([r for r in records if r["split"] == "valid"][-1]["loss"])
    original, resolved = shipped(config), yaml.safe_load((run_dir / "config.yaml").read_text())
    assert resolved["task"] == original["task"]
    for section in ("model", "train"):  # the shipped values of every key not overridden
        for key, value in (original.get(section) or {}).items():
            if f"{section}.{key}" not in overrides:
                got = resolved[section][key]
                if isinstance(value, dict):  # a nested section: the keys it names
                    got = {k: got[k] for k in value}
                assert got == value, f"{section}.{key}"
    task, _ = load_run(run_dir, "last")  # the run directory alone rebuilds the model
    assert task.name == original["task"]


@needs_shared
def test_tatoeba_holds_out_the_same_seeded_pairs_every_run(tmp_path, text_file):
    config = REPO / "configs" / "seq2seq_tatoeba.yaml"
    overrides = tiny_overrides(config, tmp_path, text_file)
    valid = []
    for name in ("a", "b"):
        sets = {**overrides, "out_dir": tmp_path / name, "train.max_steps": 1}
        main(["train", str(config), *[a for k, v in sets.items() for a in ("--set", f"{k}={v}")]])
        valid.append([r for r in train_records(tmp_path / name) if r["split"] == "valid"][-1])
    assert valid[0]["tokens"] == valid[1]["tokens"] and valid[0]["loss"] == valid[1]["loss"]
