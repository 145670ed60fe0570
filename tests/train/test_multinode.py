"""Two torchrun "nodes" on this machine train as one process does, and only rank 0 writes.

Each node is its own ``torchrun --nnodes 2 --nproc-per-node 1`` agent, as on two machines; they
meet through a c10d rendezvous on 127.0.0.1 (node 0 hosts its store) and train over gloo. The
run directory is shared, as it must be across machines (the other ranks read the vocabularies
rank 0 writes there). The worker of each node records, through Python's audit hooks, every
write its process makes under the run directory: rank 0's list holds the run, every other
rank's must be empty.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

from seqlab.cli import main


def torchrun_missing() -> str:
    """Why torchrun cannot run two gloo nodes here ("" when it can)."""
    if sys.platform != "linux":
        return "the torchrun test runs on Linux"
    if not dist.is_available() or not dist.is_gloo_available():
        return "this torch has no gloo backend"
    if importlib.util.find_spec("torch.distributed.run") is None:
        return "this torch has no torch.distributed.run (torchrun)"
    return ""


pytestmark = [
    pytest.mark.skipif(bool(torchrun_missing()), reason=torchrun_missing() or "-"),
    pytest.mark.xdist_group("processes"),  # one at a time with the other multi-process tests
    pytest.mark.slow,
]

STEPS = 6
TIMEOUT_S = 120  # a node that has not finished by then is stuck (a run takes about 20 s)
SETS = ["--set", f"train.max_steps={STEPS}", "--set", "model.dropout=0.0"]
# a node's worker: note each write under the run directory (argv[1]) in argv[2], then train
WORKER = """import json, os, sys
from pathlib import Path

run_dir, report = os.path.realpath(sys.argv[1]), sys.argv[2]
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
EVENTS = {"os.rename", "os.mkdir", "os.remove", "os.rmdir", "os.truncate", "shutil.rmtree",
          "os.link", "os.symlink", "os.chmod", "os.utime"}
writes = []

def inside(path):
    if not isinstance(path, (str, bytes, os.PathLike)):
        return False
    path = os.path.realpath(os.fsdecode(path))
    return path == run_dir or path.startswith(run_dir + os.sep)

def audit(event, args):
    if event == "open":
        path, mode, flags = args
        if (mode and any(c in mode for c in "wax+")) or (flags or 0) & WRITE:
            if inside(path):
                writes.append([event, os.fsdecode(path)])
    elif event in EVENTS and any(inside(a) for a in args[:2]):
        writes.append([event, *map(str, args[:2])])

sys.addaudithook(audit)
from seqlab.cli import main
try:
    main(["train", *sys.argv[3:]])
finally:
    rank = os.environ["RANK"]
    Path(f"{report}-rank{rank}.json").write_text(json.dumps(writes))
"""


def records(run_dir: Path, split: str) -> list[dict]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(node: int, port: int, argv: list[str], root: Path) -> subprocess.Popen:
    """One torchrun agent with one worker process, as node ``node`` of two."""
    command = [
        *(sys.executable, "-m", "torch.distributed.run"),
        *("--nnodes", "2", "--nproc-per-node", "1", "--node-rank", str(node)),
        *("--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}"),
        *("--rdzv-conf", f"is_host={int(node == 0)},join_timeout={TIMEOUT_S}"),
        *("--monitor-interval", "0.1", "--max-restarts", "0"),
        *argv,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    with open(root / f"node{node}.log", "w") as log:  # its own session: killed as a group
        return subprocess.Popen(
            command, env=env, stdout=log, stderr=log, cwd=root, start_new_session=True
        )


def wait_for(nodes: list[subprocess.Popen], root: Path) -> None:
    """Both nodes must exit 0 within TIMEOUT_S; a node still running is killed with its
    worker (the agent's whole process group)."""
    try:
        codes = [p.wait(timeout=TIMEOUT_S) for p in nodes]
    finally:
        for p in nodes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    for node, code in enumerate(codes):
        assert code == 0, (root / f"node{node}.log").read_text()[-3000:]


def test_two_nodes_match_one_process_and_only_rank_0_writes(tiny_task, tmp_path):
    one = tiny_task("seq2seq", "one", equal_lengths=True)
    two = tiny_task("seq2seq", "two", equal_lengths=True)
    (tmp_path / "worker.py").write_text(WORKER)
    run_dir, report = tmp_path / "two", tmp_path / "writes"
    argv = [str(tmp_path / "worker.py"), str(run_dir), str(report), str(two), *SETS]
    port = free_port()
    nodes = [start_node(node, port, argv, tmp_path) for node in (0, 1)]
    try:
        main(["train", str(one), *SETS])  # the one-process reference, while the nodes start
    finally:
        wait_for(nodes, tmp_path)

    a, b = records(tmp_path / "one", "train"), records(run_dir, "train")
    assert [r["step"] for r in b] == list(range(1, STEPS + 1))  # each step logged once
    assert max(abs(x["loss"] - y["loss"]) for x, y in zip(a, b, strict=True)) < 1e-4
    va, vb = records(tmp_path / "one", "valid"), records(run_dir, "valid")
    assert len(va) == len(vb) == 1 and abs(va[0]["loss"] - vb[0]["loss"]) < 1e-4

    real = run_dir.resolve()  # the workers note real paths
    writes = {r: json.loads((tmp_path / f"writes-rank{r}.json").read_text()) for r in (0, 1)}
    assert writes[1] == []  # rank 1 read the vocabularies and wrote nothing
    # the first part of every path rank 0 touched ((): the run directory itself, made)
    inside = [Path(p) for w in writes[0] for p in w[1:] if Path(p).is_relative_to(real)]
    written = {p.relative_to(real).parts[:1] for p in inside}
    assert {("config.yaml",), ("metrics.jsonl",), ("checkpoints",), ("src_vocab.json",)} <= written
    meta = json.loads((run_dir / "checkpoints" / "last" / "checkpoint.json").read_text())
    assert meta["world_size"] == 2 and meta["position"]["step"] == STEPS
