"""Configs a hostile or careless user might write: non-finite numbers, YAML alias bombs, huge
values, and a run directory whose saved config asks to unpickle vectors. Each gives one line
and exit 2, and nothing runs or is written."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors
from tests.cli.test_bad_input import _error, bad_input

from seqlab.cli import main


@bad_input(
    kind="wrong type",
    command="seqlab train CONFIG --set train.lr=.nan (or clip_grad_norm, time_limit_minutes, "
    "weight_decay; .inf alike)",
    outcome="error: CONFIG: train.lr: must be a finite number, got nan (exit 2); nothing is "
    "written",
)
@pytest.mark.parametrize(
    "key, value",
    [
        ("lr", ".nan"),
        ("clip_grad_norm", ".nan"),
        ("time_limit_minutes", ".nan"),
        ("weight_decay", ".nan"),
        ("lr", ".inf"),
        ("clip_grad_norm", "-.inf"),
    ],
)
def test_non_finite_numbers_are_refused(lm_config, capsys, tmp_path, key, value):
    err = _error(capsys, "train", lm_config(), "--set", f"train.{key}={value}")
    assert f"train.{key}: must be a finite number, got " in err
    assert not (tmp_path / "run").exists()


def _alias_bomb(levels: int, width: int = 9) -> str:
    """A YAML flow list whose every level repeats the one below ``width`` times by alias: a few
    hundred bytes that expand to ``width ** levels`` strings."""
    text = "&a0 [" + ",".join(["lol"] * width) + "]"
    for i in range(1, levels):
        text = f"&a{i} [{text}" + f",*a{i - 1}" * (width - 1) + "]"
    return text


@bad_input(
    kind="wrong type",
    command="seqlab train CONFIG whose train.lr is a 345-byte YAML alias bomb (9 levels of 9)",
    outcome="error: CONFIG:LINE: invalid YAML (alias *a0: configs take no YAML aliases) "
    "(exit 2), at once",
)
@pytest.mark.parametrize("levels", [5, 9])
def test_yaml_aliases_are_refused(lm_config, capsys, levels):
    bomb = _alias_bomb(levels)
    assert len(bomb) < 400
    config = lm_config()
    text = config.read_text().replace("  lr: 0.01\n", f"  lr: {bomb}\n")
    config.write_text(text)
    start = time.perf_counter()
    err = _error(capsys, "train", config)
    assert time.perf_counter() - start < 5
    assert f"{config}:" in err and "configs take no YAML aliases" in err and len(err) < 300


@bad_input(
    kind="wrong type",
    command="seqlab train CONFIG --set train.lr=<a 100,000-character word> (or a 10,000-item list)",
    outcome="error: CONFIG: train.lr: expected float, got str '<the first 200 characters>...' "
    "(exit 2)",
)
@pytest.mark.parametrize("value", ["x" * 100_000, "[" + ", ".join(["word"] * 10_000) + "]"])
def test_an_error_shows_at_most_200_characters_of_a_value(lm_config, capsys, value):
    err = _error(capsys, "train", lm_config(), "--set", f"train.lr={value}")
    assert "train.lr: expected float, got " in err
    assert len(err) < len(f"error: {lm_config()}: train.lr: expected float, got list ") + 260


# ----------------------------------------------------------------------------- trust_pickle


class _Payload:
    """Unpickling this calls ``open(marker, "w")``: a harmless stand-in for any code."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _genuine_kv(path: Path) -> Path:
    words = ["the", "dog", "saw", "cat"]
    kv = KeyedVectors(4)
    kv.add_vectors(words, np.random.default_rng(0).normal(size=(4, 4)).astype("f4"))
    kv.save(str(path))
    return path


@pytest.fixture
def pretrained_run(tmp_path: Path) -> tuple[Path, Path]:
    """(run directory, its .kv vectors file): an LM trained 1 step on gensim vectors, the
    pickle trusted by the config the user passed."""
    data = tmp_path / "text.txt"
    data.write_text("the dog saw the cat\n" * 30)
    vectors = _genuine_kv(tmp_path / "vectors.kv")
    config = tmp_path / "lm.yaml"
    config.write_text(
        f"task: lm\nout_dir: {tmp_path / 'run'}\n"
        f"data: {{train: {data}, tokenizer: word, bptt: 4}}\n"
        "model: {embedding_dim: 4, hidden_size: 8, dropout: 0.0,\n"
        f"  embedding: {{kind: pretrained, path: {vectors}, trust_pickle: true}}}}\n"
        "train: {batch_size: 2, max_steps: 1, progress: false, threads: 1}\n"
    )
    main(["train", str(config)])
    return tmp_path / "run", vectors


@bad_input(
    kind="pickle",
    command="seqlab train --resume RUN, whose config.yaml says model.embedding.trust_pickle: "
    "true and whose vectors file is now a crafted pickle",
    outcome="error: FILE: ... embedding.trust_pickle: true (exit 2); no code runs: the opt-in "
    "comes only from the command line or the config file passed",
)
def test_a_run_directory_cannot_opt_in_to_a_pickle(pretrained_run, capsys, tmp_path):
    run, vectors = pretrained_run
    assert "trust_pickle: true" in (run / "config.yaml").read_text()
    marker = tmp_path / "CODE-RAN"
    vectors.write_bytes(pickle.dumps(_Payload(marker), protocol=4))
    err = _error(capsys, "train", "--resume", run, "--set", "train.max_steps=2")
    assert str(vectors) in err and "trust_pickle" in err
    assert not marker.exists()


def test_the_command_line_can_opt_in_on_resume(pretrained_run, capsys):
    run, _ = pretrained_run
    sets = ["--set", "train.max_steps=2", "--set", "model.embedding.trust_pickle=true"]
    main(["train", "--resume", str(run), *sets])
    assert "done (max_steps) at step 2" in capsys.readouterr().out
