"""Two DDP processes (gloo, CPU) train every sentence task as one process does at the same
global batch: the same losses step by step, the same validation; with sentence batches and with
token-budget batches (each rank takes its share of the global batch).

The two processes are started the way ``torchrun`` starts them (RANK, WORLD_SIZE and a
rendezvous address in the environment) and each trains all the runs in turn, with a new
rendezvous port for each run: starting a process costs seconds of imports, and under torchrun a
second process group in the same processes hangs at its rendezvous. The one-process references
train in the test process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.cli import main

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="the DDP test runs on Linux"),
    pytest.mark.xdist_group("processes"),  # one at a time with the other multi-process tests
]

TASKS = ["seq2seq", "classify", "tag", "condgen"]
UNEVEN = ["seq2seq", "tag", "condgen"]  # tasks whose loss is a mean over a batch's tokens
TOKENS = ["seq2seq", "classify", "tag"]
BUDGET = "batch_type: tokens, batch_tokens: 20"
STEPS = 6
SETS = ["--set", f"train.max_steps={STEPS}", "--set", "model.dropout=0.0"]
WORKER = """import os, sys
from seqlab.cli import main
sets, ports, configs = sys.argv[1].split(), sys.argv[2].split(","), sys.argv[3:]
for port, config in zip(ports, configs):
    os.environ["MASTER_PORT"] = port
    main(["train", config, *sets])
"""


def records(run_dir: Path, split: str) -> list[dict]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


@pytest.fixture(scope="module")
def runs(module_tiny_task) -> Path:
    """Runs ``one-NAME`` (one process) and ``two-NAME`` (2 DDP processes) for every task
    with equal-length examples (NAME = task), for the token-averaged tasks with uneven lengths
    (NAME = task-uneven), and with token-budget batches (NAME = task-tokens). The one-process
    runs train while the two processes start."""
    names = {task: (task, True, "") for task in TASKS}
    names |= {f"{task}-uneven": (task, False, "") for task in UNEVEN}
    names |= {f"{task}-tokens": (task, False, BUDGET) for task in TOKENS}

    def configs(copies: str) -> list[str]:
        return [
            str(module_tiny_task(task, f"{copies}-{n}", equal_lengths=equal, train=train))
            for n, (task, equal, train) in names.items()
        ]

    one, two = configs("one"), configs("two")
    root = Path(two[0]).parent
    (root / "worker.py").write_text(WORKER)
    ports = ",".join(str(free_port()) for _ in two)
    procs = start_two([sys.executable, str(root / "worker.py"), " ".join(SETS), ports, *two], root)
    try:
        for config in one:
            main(["train", config, *SETS])
    finally:
        wait_for(procs, root)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_two(command: list[str], root: Path) -> list[subprocess.Popen]:
    """Start ``command`` as ranks 0 and 1 of a 2-process gloo group, logging to rankN.log."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1"}
    procs = []
    for rank in range(2):
        rank_env = {**env, "RANK": str(rank), "LOCAL_RANK": str(rank)}
        with open(root / f"rank{rank}.log", "w") as log:
            procs.append(subprocess.Popen(command, env=rank_env, stdout=log, stderr=log))
    return procs


def wait_for(procs: list[subprocess.Popen], root: Path) -> None:
    """Both ranks must exit 0 within 5 minutes; a rank still running is killed."""
    try:
        codes = [p.wait(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for rank, code in enumerate(codes):
        assert code == 0, (root / f"rank{rank}.log").read_text()[-3000:]


def assert_same_training(root: Path, name: str) -> None:
    one, two = root / f"one-{name}", root / f"two-{name}"
    a, b = records(one, "train"), records(two, "train")
    assert [r["step"] for r in a] == [r["step"] for r in b] == list(range(1, STEPS + 1))
    # the same global batches: the padding fraction over both ranks' shares is the one batch's
    # or less (each share is padded to its own longest example)
    assert all(y["padding"] <= x["padding"] + 1e-9 for x, y in zip(a, b))
    # same data, same global batch, averaged gradients: equal up to float summation order
    assert max(abs(x["loss"] - y["loss"]) for x, y in zip(a, b)) < 1e-4
    va, vb = records(one, "valid"), records(two, "valid")
    assert len(va) == len(vb) and abs(va[-1]["loss"] - vb[-1]["loss"]) < 1e-4


@pytest.mark.parametrize("task", TASKS)
def test_two_processes_match_one(runs, task):
    assert_same_training(runs, task)


@pytest.mark.parametrize("task", UNEVEN)
def test_two_processes_match_one_with_uneven_lengths(runs, task):
    assert_same_training(runs, f"{task}-uneven")


@pytest.mark.parametrize("task", TOKENS)
def test_two_processes_match_one_with_token_batches(runs, task):
    assert_same_training(runs, f"{task}-tokens")
