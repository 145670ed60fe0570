"""A bug (an unexpected exception) is one line on screen and a traceback file on disk."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

import seqlab.tasks
import seqlab.train.distributed
from seqlab.cli import main

LINE = re.compile(
    r"error: internal error in '(?P<command>seqlab [a-z ]+)': RuntimeError: boom; "
    r"the full traceback is in (?P<path>\S+)"
)


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.fixture
def temp_dir(tmp_path, monkeypatch) -> Path:
    """An empty stand-in for $TMPDIR."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _fails(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert out == ""
    return e.value.code, err


def _traceback_file(err: str, command: str) -> Path:
    """Check the one line on stderr; the traceback file it names."""
    assert err.count("\n") == 1 and "Traceback" not in err
    match = LINE.fullmatch(err.strip())
    assert match is not None, err
    assert match["command"] == command
    path = Path(match["path"])
    text = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert f"command: {command}" in text
    return path


def test_bug_in_a_run_command_leaves_the_traceback_in_the_run(
    tmp_path, temp_dir, monkeypatch, capsys
):
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setattr(seqlab.tasks, "check_run_dir", _boom)
    status, err = _fails(["generate", run, "--length", "5"], capsys)
    assert status == 1
    path = _traceback_file(err, "seqlab generate")
    assert path.parent == run and path.name.startswith("seqlab-error-")
    assert not any(temp_dir.iterdir())


def test_bug_without_a_run_directory_goes_to_the_temp_dir(tmp_path, temp_dir, monkeypatch, capsys):
    monkeypatch.setattr(seqlab.tasks, "check_run_dir", _boom)
    status, err = _fails(["evaluate", tmp_path / "not-made-yet", "--data", "x.txt"], capsys)
    assert status == 1
    path = _traceback_file(err, "seqlab evaluate")
    assert path.parent == temp_dir / "seqlab-errors"


def test_bug_in_train_goes_to_the_configs_out_dir(
    lm_config, tmp_path, temp_dir, monkeypatch, capsys
):
    monkeypatch.setattr(seqlab.train.distributed, "local_device", _boom)
    (tmp_path / "run").mkdir()
    _, err = _fails(["train", lm_config(name="run")], capsys)
    assert _traceback_file(err, "seqlab train").parent == tmp_path / "run"
    # --set out_dir=... decides the run directory too
    (tmp_path / "elsewhere").mkdir()
    argv = ["train", lm_config(name="run"), "--set", f"out_dir={tmp_path / 'elsewhere'}"]
    _, err = _fails(argv, capsys)
    assert _traceback_file(err, "seqlab train").parent == tmp_path / "elsewhere"


def test_bug_in_a_nested_command_is_named_in_full(temp_dir, monkeypatch, capsys):
    monkeypatch.setattr("seqlab.analysis.gradients.check_options", _boom)
    status, err = _fails(["diagnose", "gradients", "--length", "3"], capsys)
    assert status == 1
    _traceback_file(err, "seqlab diagnose gradients")


def test_seqlab_debug_prints_the_traceback(tmp_path, temp_dir, monkeypatch, capsys):
    monkeypatch.setenv("SEQLAB_DEBUG", "1")
    monkeypatch.setattr(seqlab.tasks, "check_run_dir", _boom)
    status, err = _fails(["generate", tmp_path], capsys)
    assert status == 1
    assert err.startswith("Traceback (most recent call last)")
    assert err.rstrip().endswith("RuntimeError: boom")
    assert not any(temp_dir.iterdir()) and not list(tmp_path.glob("seqlab-error-*"))


def test_ctrl_c_is_one_line_and_130(tmp_path, monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(seqlab.tasks, "check_run_dir", interrupt)
    assert _fails(["generate", tmp_path], capsys) == (130, "interrupted\n")


def test_bad_input_is_still_one_error_line_and_2(tmp_path, capsys):
    status, err = _fails(["generate", tmp_path / "nope"], capsys)
    assert status == 2 and err == f"error: {tmp_path / 'nope'}: no such run directory\n"
