"""The learning rate each step logs follows the configured schedule, and a time limit stops a
run early (still validating and saving)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import PANGRAMS

from seqlab.tasks.run import train

LR, DECAY = 0.05, 0.5
STEPS = {"lr": LR, "eval_every": 5, "max_steps": 20}


@pytest.fixture
def mirrored(tmp_path: Path) -> Path:
    """Validation text: the training lines written backwards. The better the model learns the
    training text, the worse it predicts this, so some validations do not improve."""
    path = tmp_path / "mirrored.txt"
    path.write_text("".join(line[::-1] + "\n" for line in PANGRAMS.splitlines()) * 5)
    return path


def records(run_dir: Path, split: str) -> list[dict]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


def non_improving_steps(valid: list[dict]) -> list[int]:
    """Steps of the validations whose loss did not beat every earlier one."""
    best, out = float("inf"), []
    for r in valid:
        if r["loss"] < best:
            best = r["loss"]
        else:
            out.append(r["step"])
    return out


def test_constant_schedule_warms_up_then_holds(lm_config, tmp_path, mirrored):
    schedule = {**STEPS, "schedule": "constant", "warmup_steps": 4}
    train(lm_config(name="c"), {"data": {"valid": str(mirrored)}, "train": schedule})
    lrs = [(r["step"], r["lr"]) for r in records(tmp_path / "c", "train")]
    assert lrs == [(s, pytest.approx(LR * min(1.0, s / 4), rel=1e-12)) for s in range(1, 21)]
    # validations that did not improve came before later steps, and the rate did not move
    assert [s for s in non_improving_steps(records(tmp_path / "c", "valid")) if s < 20]


def test_plateau_multiplies_lr_by_decay_after_each_validation_that_does_not_improve(
    lm_config, tmp_path, mirrored
):
    schedule = {**STEPS, "schedule": "plateau", "lr_decay": DECAY}
    train(lm_config(name="p"), {"data": {"valid": str(mirrored)}, "train": schedule})
    bad = non_improving_steps(records(tmp_path / "p", "valid"))
    assert [s for s in bad if s < 20], "no validation before the last failed to improve"
    for r in records(tmp_path / "p", "train"):
        decays = sum(step < r["step"] for step in bad)  # a validation acts on later steps
        assert r["lr"] == pytest.approx(LR * DECAY**decays, rel=1e-12), r["step"]


def test_time_limit_stops_before_max_steps_and_saves(lm_config, tmp_path):
    limit = {"time_limit_minutes": 0.0001, "max_steps": 1000, "epochs": 100}  # 6 ms
    summary = train(lm_config(name="t"), {"train": limit})
    assert summary["reason"] == "time_limit" and summary["step"] < 1000
    meta = json.loads((tmp_path / "t/checkpoints/last/checkpoint.json").read_text())
    assert meta["position"]["step"] == summary["step"]
    assert records(tmp_path / "t", "valid")[-1]["step"] == summary["step"]  # validated at the stop
