"""Two DDP processes (gloo, CPU) reach the same losses as one process at the same global batch."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="torchrun test runs on Linux"),
    pytest.mark.xdist_group("processes"),  # one at a time with the other multi-process tests
    pytest.mark.slow,
]


def losses(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


def test_two_processes_match_one(lm_config, tmp_path):
    sets = [
        "--set",
        "train.max_steps=12",
        "--set",
        "train.eval_every=6",
        "--set",
        "model.dropout=0.0",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    one = [sys.executable, "-m", "seqlab", "train", str(lm_config(name="one")), *sets]
    subprocess.run(one, check=True, env=env, capture_output=True, timeout=300)
    two = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "seqlab",
        "train",
        str(lm_config(name="two")),
        *sets,
    ]
    proc = subprocess.run(two, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    a, b = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert len(a) == len(b) == 12
    # same data, same global batch, averaged gradients: equal up to float summation order
    assert max(abs(x - y) for x, y in zip(a, b)) < 1e-4
    va = [
        r
        for r in map(json.loads, (tmp_path / "one/metrics.jsonl").read_text().splitlines())
        if r["split"] == "valid"
    ]
    vb = [
        r
        for r in map(json.loads, (tmp_path / "two/metrics.jsonl").read_text().splitlines())
        if r["split"] == "valid"
    ]
    assert abs(va[-1]["loss"] - vb[-1]["loss"]) < 1e-4
