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
    pytest.mark.slow,
]

TASKS = ["seq2seq", "classify", "tag", "condgen", "transformer"]  # transformer: seq2seq's
UNEVEN = ["seq2seq", "tag", "condgen"]  # tasks whose loss is a mean over a batch's tokens
TOKENS = ["seq2seq", "classify", "tag", "transformer"]
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


RESUME = """import os, sys
from seqlab.cli import main
config, run, first, second = sys.argv[1:]
sets = ["--set", "model.dropout=0.0"]
os.environ["MASTER_PORT"] = first
main(["train", config, "--set", "train.max_steps=3", *sets])
os.environ["MASTER_PORT"] = second
main(["train", "--resume", run, "--set", "train.max_steps=%d" % {steps}, *sets])
"""


def test_two_processes_resume_as_they_would_have_gone_on(runs, tiny_task, tmp_path):
    """Two ranks stopped at step 3 and resumed (both ranks reading the checkpoint rank 0 wrote)
    log the losses of the two ranks that never stopped, step for step."""
    config = tiny_task("classify", "resumed", equal_lengths=True)
    (tmp_path / "resume.py").write_text(RESUME.format(steps=STEPS))
    ports = [str(free_port()), str(free_port())]
    run = tmp_path / "resumed"
    command = [sys.executable, str(tmp_path / "resume.py"), str(config), str(run), *ports]
    wait_for(start_two(command, tmp_path), tmp_path)
    a, b = records(runs / "two-classify", "train"), records(run, "train")
    assert [r["step"] for r in b] == list(range(1, STEPS + 1))
    assert [r["loss"] for r in b] == [r["loss"] for r in a]
    assert json.loads((run / "checkpoints/last/checkpoint.json").read_text())["world_size"] == 2


def test_a_batch_size_two_processes_cannot_share_is_refused(tiny_task, tmp_path):
    config = tiny_task("classify", "odd", train="batch_size: 5")
    (tmp_path / "worker.py").write_text(WORKER)
    command = [sys.executable, str(tmp_path / "worker.py"), "", str(free_port()), str(config)]
    procs = start_two(command, tmp_path)
    codes = [p.wait(timeout=300) for p in procs]
    for rank, code in enumerate(codes):
        log = (tmp_path / f"rank{rank}.log").read_text()
        assert code == 2, log[-3000:]
        assert "train.batch_size: 5 is not divisible by 2 processes" in log
        assert "Traceback" not in log
    assert not (tmp_path / "odd").exists()
