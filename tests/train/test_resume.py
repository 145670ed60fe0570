"""A resumed run continues exactly where an uninterrupted one would be."""

import json
import shutil

import pytest

from seqlab.errors import SeqlabError
from seqlab.tasks.run import train


def train_losses(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(r["step"], r["loss"]) for r in map(json.loads, lines) if r["split"] == "train"]


def stop_at(step):
    def hook(trainer):
        if trainer.pos.step == step:
            trainer.request_stop()

    return hook


@pytest.mark.slow
@pytest.mark.parametrize("cell, dropout", [("lstm", 0.3), ("gru", 0.0)])
def test_resume_equals_uninterrupted(lm_config, tmp_path, cell, dropout):
    extra = {"model": {"cell": cell, "dropout": dropout, "num_layers": 2}}
    full = train(lm_config(name="full"), extra)
    assert full["reason"] == "epochs"
    cut = train(lm_config(name="cut"), extra, on_step=stop_at(13))  # mid-epoch, mid-eval period
    assert cut["reason"] == "interrupted" and cut["step"] == 13
    resumed = train(None, {}, resume=tmp_path / "cut")
    assert resumed["step"] == full["step"]
    a, b = train_losses(tmp_path / "full"), train_losses(tmp_path / "cut")
    assert [s for s, _ in b] == list(range(1, full["step"] + 1))  # no gap, no duplicate
    assert a == b  # bit-identical losses after the resume
    assert resumed["best"] == full["best"]


def test_resume_accepts_more_epochs_and_keeps_best(lm_config, tmp_path):
    first = train(lm_config(name="r"), {"train": {"epochs": 1}})
    meta = json.loads((tmp_path / "r/checkpoints/last/checkpoint.json").read_text())
    assert meta["position"]["best"] == first["best"]
    more = train(None, {"train": {"epochs": 3}}, resume=tmp_path / "r")
    assert more["step"] == 3 * first["step"]
    assert more["best"] <= first["best"]


def test_resume_from_missing_or_corrupt_checkpoint(lm_config, tmp_path):
    with pytest.raises(SeqlabError, match="no such run directory"):
        train(None, {}, resume=tmp_path / "nothing")
    train(lm_config(name="c"), {"train": {"max_steps": 10}})
    good = tmp_path / "c/checkpoints/last"
    backup = tmp_path / "backup"
    shutil.copytree(good, backup)
    (good / "trainer.safetensors").write_bytes(b"garbage")
    with pytest.raises(SeqlabError, match="corrupt checkpoint"):
        train(None, {}, resume=tmp_path / "c")
    assert (tmp_path / "c/checkpoints/best/checkpoint.json").exists()  # untouched
    (good / "checkpoint.json").write_text("{not json")
    with pytest.raises(SeqlabError, match="corrupt checkpoint metadata"):
        train(None, {}, resume=tmp_path / "c")


def test_new_run_refuses_to_overwrite(lm_config, tmp_path):
    cfg = lm_config(name="once")
    train(cfg, {"train": {"max_steps": 2}})
    with pytest.raises(SeqlabError, match="already holds a run"):
        train(cfg, {})
