"""Token-budget batches (``train.batch_type: tokens``) in real training runs.

A run stopped mid-epoch and resumed trains on the batches of a run never stopped, logs the same
losses and padding fractions, and ends with the same weights; so does a run killed (SIGKILL)
mid-epoch and resumed from its last checkpoint. A budget too small for the data is one error
line. On Multi30k the batches pad less than sentence batches, never cost more than the budget,
and hold every pair once per epoch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tests.conftest import SHARED_DATA, needs_shared

from seqlab.cli import main
from seqlab.tasks import run_config_from_dict
from seqlab.tasks.run import train
from seqlab.tasks.seq2seq.task import Seq2SeqTask

TOKENS = "batch_type: tokens, batch_tokens: 20"  # 8 to 12 batches an epoch of the tiny data
STEPS, CUT = 14, 5  # the cut is mid-epoch, the resumed run crosses into the next epoch
NOISY = {  # dropout and scheduled sampling draw random numbers at every step
    "seq2seq": {"dropout": 0.3, "teacher_forcing": 0.5},
    "classify": {"dropout": 0.3},
    "tag": {"dropout": 0.3},
    "condgen": {"dropout": 0.3},
}
MULTI30K = SHARED_DATA / "multi30k"
# a run of config argv[1] with model overrides argv[3] (JSON) that kills itself (SIGKILL: no
# clean-up at all) once step argv[2] is done
KILLED = """import json, os, signal, sys
from seqlab.tasks.run import train

def hook(trainer):
    if trainer.pos.step == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)

model = json.loads(sys.argv[3])
train(sys.argv[1], {"model": model, "train": {"max_steps": 1000}}, on_step=hook)
"""


def train_rows(run_dir: Path) -> list[tuple[int, float, float]]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    rows = [r for r in map(json.loads, lines) if r["split"] == "train"]
    return [(r["step"], r["loss"], r["padding"]) for r in rows]


def recorder(seen: dict[int, tuple[list[int], float]]):
    """An ``on_step`` hook noting the example rows of the batch each step trained on, and the
    padding fraction of its tensors."""

    def hook(trainer) -> None:
        pos, task = trainer.pos, trainer.task  # the step is done: its batch was (epoch, index - 1)
        real, every = task.batch_positions(task.train_batch(pos.epoch, pos.index - 1))
        seen[pos.step] = (task.batches.rows(pos.epoch, pos.index - 1), 1 - real / every)

    return hook


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(run_dir / "checkpoints" / "last" / "model.safetensors"))


@pytest.mark.parametrize("task", ["seq2seq", "classify", "tag", "condgen"])
def test_mid_epoch_resume_sees_the_same_batches_and_ends_with_the_same_weights(
    task, tiny_task, tmp_path
):
    model, limit = NOISY[task], {"max_steps": STEPS}
    full_rows: dict[int, tuple[list[int], float]] = {}
    cut_rows: dict[int, tuple[list[int], float]] = {}
    config = tiny_task(task, "full", train=TOKENS)
    full = train(config, {"model": model, "train": limit}, on_step=recorder(full_rows))
    assert full["step"] == STEPS and full["padding"] > 0
    config = tiny_task(task, "cut", train=TOKENS)
    train(config, {"model": model, "train": {"max_steps": CUT}}, on_step=recorder(cut_rows))
    meta = json.loads((tmp_path / "cut/checkpoints/last/checkpoint.json").read_text())
    assert meta["position"]["epoch"] == 0 and meta["position"]["index"] == CUT  # mid-epoch

    train(None, {"train": limit}, resume=tmp_path / "cut", on_step=recorder(cut_rows))

    assert cut_rows == full_rows and len(full_rows) == STEPS
    assert full_rows[1] != full_rows[STEPS]
    a, b = train_rows(tmp_path / "full"), train_rows(tmp_path / "cut")
    assert [step for step, *_ in b] == list(range(1, STEPS + 1))
    assert b == a  # bit-identical losses, and the padding of the same batches
    assert [padding for *_, padding in a] == [full_rows[s][1] for s in range(1, STEPS + 1)]
    wa, wb = weights(tmp_path / "full"), weights(tmp_path / "cut")
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL of a training process")
def test_a_run_killed_mid_epoch_resumes_with_the_losses_of_one_never_killed(tiny_task, tmp_path):
    """Killed after step 7, the run restarts from its last checkpoint (step 5, mid-epoch),
    drops the log rows of steps 6 and 7 and trains them again as the uninterrupted run did."""
    every = f"{TOKENS}, eval_every: 5"  # a checkpoint at each validation
    noisy = NOISY["seq2seq"]
    config = tiny_task("seq2seq", "killed", train=every)
    (tmp_path / "killed.py").write_text(KILLED)
    command = [sys.executable, str(tmp_path / "killed.py"), str(config), "7", json.dumps(noisy)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:  # the uninterrupted run trains while the other one starts
        full = tiny_task("seq2seq", "full", train=every)
        train(full, {"model": noisy, "train": {"max_steps": 9}})
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -9, err.decode()[-2000:]  # killed, not ended
    run_dir = tmp_path / "killed"
    assert [step for step, *_ in train_rows(run_dir)] == list(range(1, 8))  # 6, 7: logged
    meta = json.loads((run_dir / "checkpoints/last/checkpoint.json").read_text())
    assert meta["position"]["step"] == 5 and meta["position"]["index"] == 5  # mid-epoch

    main(["train", "--resume", str(run_dir), "--set", "train.max_steps=9"])

    a, b = train_rows(tmp_path / "full"), train_rows(run_dir)
    assert [step for step, *_ in b] == list(range(1, 10))  # each step once
    assert b == a  # bit-identical losses and padding fractions
    wa, wb = weights(tmp_path / "full"), weights(run_dir)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def multi30k_task(train_section: dict) -> Seq2SeqTask:
    data = {
        "train": str(MULTI30K / "train.en.gz"),
        "train_tgt": str(MULTI30K / "train.fr.gz"),
        "valid_fraction": 0.0,
        "tokenizer": "word",
        "max_pairs": 5000,
        "bleu_sentences": 0,
    }
    config = {"task": "seq2seq", "data": data, "model": {}, "train": train_section}
    task = Seq2SeqTask(run_config_from_dict(config))
    task.prepare()
    return task


@needs_shared
def test_multi30k_token_batches_pad_less_stay_in_budget_and_cover_the_epoch():
    budget = 1500
    sentences = multi30k_task({"batch_size": 64})
    tokens = multi30k_task({"batch_type": "tokens", "batch_tokens": budget})
    padding = {}
    for name, task in (("sentences", sentences), ("tokens", tokens)):
        real = every = 0
        seen = []
        for index in range(task.num_batches(0)):
            batch = task.train_batch(0, index)
            r, e = task.batch_positions(batch)
            real, every = real + r, every + e
            seen += task.batches.rows(0, index)
            if name == "tokens":  # the padded size of the longer side, times the pairs
                width = max(batch.src.shape[1], batch.tgt_in.shape[1])
                assert batch.src.shape[0] * width <= budget
        padding[name] = 1 - real / every
        assert len(seen) == len(set(seen))  # no pair twice
        if name == "tokens":  # and every pair once: every token of the epoch is seen
            assert sorted(seen) == list(range(len(task.train_pairs)))
    assert padding["tokens"] < 0.75 * padding["sentences"]


@pytest.mark.parametrize("task", ["seq2seq", "classify"])
def test_a_budget_below_the_longest_example_is_one_error_line(task, tiny_task, tmp_path, capsys):
    config = tiny_task(task, "small", train="batch_type: tokens, batch_tokens: 2")
    with pytest.raises(SystemExit) as e:
        main(["train", str(config)])
    lines = capsys.readouterr().err.splitlines()  # data-reading notes, then the error
    errors = [line for line in lines if line.startswith("error:")]
    assert e.value.code == 2 and len(errors) == 1 and errors[0] == lines[-1], lines
    longest = "error: train.batch_tokens: 2 is less than the longest training example ("
    assert errors[0].startswith(longest) and "set train.batch_tokens to at least" in errors[0]
    assert "Traceback" not in "\n".join(lines)
    assert not (tmp_path / "small" / "checkpoints").exists()
