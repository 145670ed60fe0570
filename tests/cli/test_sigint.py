"""Ctrl-C stops ``seqlab train`` after the current step, validates, writes ``checkpoints/last``
and exits with status 130 (not 0, as a finished training does); ``--resume`` then continues
from that step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import pytest

from seqlab.cli import main


def train_steps(run_dir: Path) -> list[int]:
    path = run_dir / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [r["step"] for r in map(json.loads, lines) if r["split"] == "train"]


def wait_for_training(proc: subprocess.Popen, run_dir: Path, deadline_s: float = 120) -> None:
    """Poll metrics.jsonl until a training step is logged (the SIGINT handler is then in place)."""
    deadline = time.monotonic() + deadline_s
    while not train_steps(run_dir):
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(0.05)


@pytest.mark.slow
def test_ctrl_c_saves_last_and_resume_continues(lm_config, tmp_path, capsys):
    run_dir = tmp_path / "run"
    sets = ["--set", "train.epochs=100000", "--set", "train.eval_every=0"]  # runs until stopped
    command = [sys.executable, "-m", "seqlab", "train", str(lm_config(name="run")), *sets]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, env=env, stdout=PIPE, stderr=PIPE, text=True)
    try:
        wait_for_training(proc, run_dir)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 130, err[-2000:]
    assert err.rstrip().endswith("interrupted")
    assert "stopping after this step" in out
    meta = json.loads((run_dir / "checkpoints/last/checkpoint.json").read_text())
    stopped = meta["position"]["step"]
    assert f"done (interrupted) at step {stopped}:" in out
    assert train_steps(run_dir) == list(range(1, stopped + 1))  # every step up to the stop
    last = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["split"] == "valid" and last["step"] == stopped  # validated at the stop

    main(["train", "--resume", str(run_dir), "--set", f"train.max_steps={stopped + 3}"])

    assert f"at step {stopped + 3}" in capsys.readouterr().out
    assert train_steps(run_dir) == list(range(1, stopped + 4))
