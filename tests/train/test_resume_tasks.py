"""Every sentence task resumes mid-epoch exactly: stopped after k steps and continued with
``seqlab train --resume``, it logs the same losses as a run that was never stopped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seqlab.cli import main
from seqlab.tasks.run import train

STEPS, CUT = 12, 5  # 8 or 9 batches an epoch: the cut is mid-epoch, the resume crosses an epoch
# dropout and scheduled sampling draw random numbers at every step, so the RNG state must resume
NOISY = {
    "seq2seq": {"dropout": 0.3, "teacher_forcing": 0.5},
    "classify": {"dropout": 0.3},
    "tag": {"dropout": 0.3},
    "condgen": {"dropout": 0.3},
    "transformer": {"dropout": 0.3},  # the seq2seq task with model.arch transformer
}


def train_losses(run_dir: Path) -> list[tuple[int, float]]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(r["step"], r["loss"]) for r in map(json.loads, lines) if r["split"] == "train"]


@pytest.mark.parametrize("task", ["seq2seq", "classify", "tag", "condgen", "transformer"])
def test_mid_epoch_resume_through_the_cli_is_bit_identical(task, tiny_task, tmp_path, capsys):
    model = NOISY[task]
    full = train(tiny_task(task, "full"), {"model": model, "train": {"max_steps": STEPS}})
    assert full["step"] == STEPS
    cut = train(tiny_task(task, "cut"), {"model": model, "train": {"max_steps": CUT}})
    assert cut["reason"] == "max_steps" and cut["step"] == CUT
    meta = json.loads((tmp_path / "cut/checkpoints/last/checkpoint.json").read_text())
    assert (meta["position"]["epoch"], meta["position"]["index"]) == (0, CUT)  # mid-epoch

    main(["train", "--resume", str(tmp_path / "cut"), "--set", f"train.max_steps={STEPS}"])

    assert f"at step {STEPS}" in capsys.readouterr().out
    a, b = train_losses(tmp_path / "full"), train_losses(tmp_path / "cut")
    assert [step for step, _ in b] == list(range(1, STEPS + 1))  # no gap, no duplicate
    assert b == a  # every loss after the resume is bit-identical
