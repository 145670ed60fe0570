"""Run directories are guarded: one training at a time, never over something that is not a run,
nothing left behind by a run that fails early, and a failed resume changes no file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from seqlab.cli import main
from seqlab.errors import SeqlabError
from seqlab.tasks.run import train
from seqlab.train.checkpoint import read_meta
from seqlab.train.rundir import RunLock


def _error(capsys, argv: list[str]) -> str:
    """Run the CLI expecting a user error: exit 2 and one ``error:`` line on stderr."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def _hashes(run: Path) -> dict[str, str]:
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run.rglob("*"))
        if p.is_file()
    }


@pytest.mark.bad_input(
    kind="run directory",
    command="seqlab train CONFIG (or --resume RUN) while another training writes the same out_dir",
    outcome=(
        "error: RUN: another training (PID N) is writing this run directory (exit 2); RUN/.lock "
        "names the holder"
    ),
)
def test_a_second_training_is_refused_while_one_holds_the_directory(lm_config, tmp_path, capsys):
    cfg = lm_config(name="r")
    main(["train", str(cfg), "--set", "train.max_steps=2"])
    capsys.readouterr()
    with RunLock(tmp_path / "r"):  # as a running training holds it
        err = _error(capsys, ["train", "--resume", str(tmp_path / "r")])
        assert f"another training (PID {os.getpid()})" in err
        err = _error(capsys, ["train", str(cfg)])
        assert f"PID {os.getpid()}" in err
    assert not (tmp_path / "r" / ".lock").exists()  # released, and the file gone


@pytest.mark.bad_input(
    kind="resume",
    command="seqlab train --resume RUN after the training was killed (kill -9)",
    outcome="the lock died with its process: the resume continues from the last checkpoint",
)
def test_a_lock_left_by_a_killed_training_does_not_block_resume(lm_config, tmp_path, capsys):
    main(["train", str(lm_config(name="r")), "--set", "train.max_steps=2"])
    holder = subprocess.Popen(  # takes the lock, then dies without releasing it
        [sys.executable, "-c", _HOLD, str(tmp_path / "r")], stdout=subprocess.PIPE
    )
    assert holder.stdout.readline().strip() == b"locked"
    holder.kill()
    holder.wait()
    assert (tmp_path / "r" / ".lock").read_text().strip() == str(holder.pid)
    main(["train", "--resume", str(tmp_path / "r"), "--set", "train.max_steps=4"])
    assert read_meta(tmp_path / "r/checkpoints/last")["position"]["step"] == 4


_HOLD = """
import sys, time
from pathlib import Path
from seqlab.train.rundir import RunLock
lock = RunLock(Path(sys.argv[1])).__enter__()
print("locked", flush=True)
time.sleep(600)
"""


@pytest.mark.bad_input(
    kind="run directory",
    command="seqlab train CONFIG, out_dir a non-empty directory that is not a seqlab run",
    outcome=(
        "error: RUN: not empty and not a seqlab run ...; pass --force (exit 2); nothing written"
    ),
)
def test_a_directory_that_is_not_a_run_needs_force(lm_config, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me\n")
    cfg = lm_config(name="c", extra=f"out_dir: {out}\n")
    err = _error(capsys, ["train", str(cfg)])
    assert "not empty and not a seqlab run" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # nothing written
    main(["train", str(cfg), "--force", "--set", "train.max_steps=2"])
    assert (out / "notes.txt").read_text() == "keep me\n" and (out / "checkpoints").is_dir()


@pytest.mark.bad_input(
    kind="run directory",
    command="seqlab train CONFIG, out_dir an existing file",
    outcome="error: RUN: out_dir is a file, not a directory (exit 2)",
)
def test_an_out_dir_that_is_a_file(lm_config, tmp_path, capsys):
    out = tmp_path / "afile"
    out.write_text("x")
    err = _error(capsys, ["train", str(lm_config(name="c", extra=f"out_dir: {out}\n"))])
    assert "out_dir is a file" in err and out.read_text() == "x"


@pytest.mark.bad_input(
    kind="run directory",
    command="seqlab train CONFIG, bad training data",
    outcome="the data is read before the run directory is made: error (exit 2), no directory left",
)
def test_bad_data_leaves_no_run_directory(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"task: lm\nout_dir: {tmp_path / 'run'}\ndata: {{train: {empty}}}\n")
    _error(capsys, ["train", str(cfg)])
    assert not (tmp_path / "run").exists()


@pytest.mark.bad_input(
    kind="run directory",
    command="a training that fails before its first checkpoint",
    outcome="the run directory it created is removed",
)
def test_a_run_that_fails_before_its_first_checkpoint_removes_its_directory(lm_config, tmp_path):
    def fail(trainer):
        raise RuntimeError("a bug at step 1")

    with pytest.raises(RuntimeError):
        train(lm_config(name="gone"), {"train": {"eval_every": 100}}, on_step=fail)
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize(
    "override,message",
    [
        ("train.lr=-1", "lr: must be > 0"),
        ("model.hidden_size=7", "weights do not match"),
        ("model.cell=gru", "weights do not match"),
    ],
)
@pytest.mark.bad_input(
    kind="resume",
    command="seqlab train --resume RUN --set train.lr=-1 (or a changed model size or cell)",
    outcome="error: ... (exit 2); every file in RUN is byte-identical (checked by hash)",
)
def test_a_failed_resume_changes_no_file(lm_config, tmp_path, capsys, override, message):
    main(["train", str(lm_config(name="r")), "--set", "train.max_steps=3"])
    capsys.readouterr()
    before = _hashes(tmp_path / "r")
    err = _error(capsys, ["train", "--resume", str(tmp_path / "r"), "--set", override])
    assert message in err
    assert _hashes(tmp_path / "r") == before


@pytest.mark.slow
@pytest.mark.bad_input(
    kind="run directory",
    command="two seqlab train processes into one out_dir at once",
    outcome="one trains; the other gets one error line (exit 2); config.yaml is the winner's",
)
def test_two_trainings_into_one_directory_one_wins_and_its_config_is_the_one_kept(
    lm_config, tmp_path
):
    cfg = lm_config(name="race", extra="")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "seqlab", "train", str(cfg), "--set", f"train.seed={seed}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for seed in (7, 99)
    ]
    results = [(p.wait(timeout=300), p.stderr.read().decode()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    (winner,) = [seed for seed, (code, _) in zip((7, 99), results, strict=True) if code == 0]
    _, loser_err = next(r for r in results if r[0] == 2)
    assert "Traceback" not in loser_err
    assert "another training" in loser_err or "already holds a run" in loser_err
    config = yaml.safe_load((tmp_path / "race" / "config.yaml").read_text())
    assert config["train"]["seed"] == winner


@pytest.mark.bad_input(
    kind="checkpoint",
    command="a NaN loss before the first validation",
    outcome=(
        "error: loss became nan at step N; training stopped, and no checkpoint exists yet (exit 2)"
    ),
)
def test_the_stop_message_says_when_no_checkpoint_exists_yet(lm_config, tmp_path):
    def poison(trainer):
        with torch.no_grad():
            trainer.model.output.bias.fill_(float("nan"))

    with pytest.raises(SeqlabError, match="no checkpoint exists yet"):
        train(lm_config(name="n"), {"train": {"eval_every": 100}}, on_step=poison)


@pytest.mark.bad_input(
    kind="checkpoint",
    command="NaN weights after a checkpoint was written",
    outcome="error: ... the last good checkpoint (step N) is kept in RUN/checkpoints/last (exit 2)",
)
def test_the_stop_message_names_the_checkpoint_it_kept(lm_config, tmp_path):
    def poison(trainer):
        if trainer.pos.step == 6:
            with torch.no_grad():
                trainer.model.output.bias.fill_(float("nan"))

    with pytest.raises(SeqlabError, match=r"the last good checkpoint \(step 5\) is kept in"):
        train(lm_config(name="k"), {"train": {"eval_every": 5}}, on_step=poison)


@pytest.mark.bad_input(
    kind="resume",
    command="seqlab train --resume RUN --set train.optimizer=sgd on a run trained with adam",
    outcome=(
        "error: RUN/checkpoints/last: train.optimizer: the run was trained with adam, not sgd "
        "(exit 2), before any file changes; every file in RUN is byte-identical"
    ),
)
def test_an_optimizer_change_on_resume_is_refused_before_any_file_changes(
    lm_config, tmp_path, capsys
):
    main(["train", str(lm_config(name="r")), "--set", "train.max_steps=3"])
    capsys.readouterr()
    before = _hashes(tmp_path / "r")
    err = _error(capsys, ["train", "--resume", str(tmp_path / "r"), "--set", "train.optimizer=sgd"])
    assert "trained with adam, not sgd" in err
    assert _hashes(tmp_path / "r") == before
    main(["train", "--resume", str(tmp_path / "r"), "--set", "train.max_steps=5"])  # still fine
    assert read_meta(tmp_path / "r/checkpoints/last")["position"]["step"] == 5


@pytest.mark.bad_input(
    kind="checkpoint",
    command="seqlab train --resume RUN, NaN bytes in checkpoints/last/trainer.safetensors "
    "(the Adam moments)",
    outcome=(
        "error: RUN/checkpoints/last/trainer.safetensors: tensor 'optim.N.exp_avg' holds NaN or "
        "infinite values (exit 2); every file in RUN is byte-identical"
    ),
)
def test_nan_optimizer_moments_are_refused_on_resume(lm_config, tmp_path, capsys):
    from safetensors.torch import load_file, save_file

    main(["train", str(lm_config(name="r")), "--set", "train.max_steps=3"])
    capsys.readouterr()
    path = tmp_path / "r/checkpoints/last/trainer.safetensors"
    tensors = load_file(str(path))
    name = next(k for k in tensors if k.endswith(".exp_avg"))
    tensors[name].view(-1)[0] = float("nan")
    save_file(tensors, str(path))
    before = _hashes(tmp_path / "r")
    err = _error(capsys, ["train", "--resume", str(tmp_path / "r"), "--set", "train.max_steps=5"])
    assert f"{path}: tensor {name!r} holds NaN" in err
    assert _hashes(tmp_path / "r") == before


@pytest.mark.bad_input(
    kind="run directory",
    command="seqlab train CONFIG, out_dir below a regular file (out_dir: afile/run)",
    outcome="error: RUN: out_dir: afile is a file, not a directory (exit 2); the file unchanged",
)
def test_an_out_dir_below_a_file(lm_config, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    err = _error(capsys, ["train", str(lm_config(name="c", extra=f"out_dir: {afile}/run\n"))])
    assert f"out_dir: {afile} is a file, not a directory" in err and afile.read_text() == "x"


@pytest.mark.bad_input(
    kind="run directory",
    command="seqlab train CONFIG, out_dir a dangling symbolic link",
    outcome="error: RUN: out_dir: RUN is a symbolic link to TARGET, which does not exist (exit 2)",
)
def test_an_out_dir_that_is_a_dangling_symlink(lm_config, tmp_path, capsys):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "gone")
    err = _error(capsys, ["train", str(lm_config(name="c", extra=f"out_dir: {link}\n"))])
    assert "is a symbolic link to" in err and "which does not exist" in err
    assert link.is_symlink() and not (tmp_path / "gone").exists()
