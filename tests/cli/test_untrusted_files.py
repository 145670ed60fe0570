"""Every file seqlab reads is parsed, never executed: crafted files give one line, run nothing.

Each crafted file holds a pickle that unpickles into ``open(marker, "w")``, so the marker file
appearing means its code ran. Audited loaders: checkpoints (safetensors + JSON), tokenizers
(JSON with an embedded sentencepiece protobuf), vocabularies (JSON), ``.npy`` conditions
(``allow_pickle=False``) and YAML configs and ``--set`` values (``safe_load``). Word vectors
have their own file: ``tests/data/test_no_pickle.py``.
"""

from __future__ import annotations

import base64
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.cli import main
from seqlab.data.names import load_features
from seqlab.errors import SeqlabError
from seqlab.train.checkpoint import load_trainer_tensors


class _Payload:
    """Unpickling this calls ``open(marker, "w")``: a harmless stand-in for any code."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "CODE-RAN"


def _pickled(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker), protocol=4)


def _cli_error(capsys, argv: list[str]) -> str:
    """Run the CLI expecting a user error: exit 2 and exactly one line on stderr."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A one-step subword LM run: config, sentencepiece tokenizer, vocabulary, checkpoints."""
    d = tmp_path_factory.mktemp("untrusted")
    (d / "text.txt").write_text("the quick brown fox jumps over the lazy dog\n" * 40)
    (d / "c.yaml").write_text(
        f"task: lm\nout_dir: {d / 'run'}\n"
        f"data: {{train: {d / 'text.txt'}, tokenizer: bpe, vocab_size: 40, bptt: 8}}\n"
        "model: {embedding_dim: 8, hidden_size: 8, num_layers: 1, dropout: 0.0}\n"
        "train: {batch_size: 2, max_steps: 1, progress: false, threads: 1}\n"
    )
    before = torch.get_num_threads()
    main(["train", str(d / "c.yaml")])
    torch.set_num_threads(before)
    return d / "run"


@pytest.fixture
def run(trained_run, tmp_path) -> Path:
    """A fresh copy of the trained run, to tamper with."""
    return Path(shutil.copytree(trained_run, tmp_path / "run"))


def _evaluate(capsys, run: Path) -> str:
    """``seqlab evaluate RUN`` (which rebuilds the model from the run directory) must fail."""
    data = run.parent / "score.txt"
    data.write_text("the lazy dog\n")
    return _cli_error(capsys, ["evaluate", str(run), "--data", str(data), "--which", "last"])


def test_the_untampered_run_loads(run, capsys):
    data = run.parent / "score.txt"
    data.write_text("the lazy dog\n")
    main(["evaluate", str(run), "--data", str(data), "--which", "last"])
    assert "perplexity" in capsys.readouterr().out.lower()


# ----------------------------------------------------------------------------- checkpoints


@pytest.mark.bad_input(
    kind="checkpoint",
    command="seqlab evaluate RUN, model.safetensors replaced by a torch.save pickle",
    outcome="error: FILE: cannot load weights (exit 2); the pickle is never loaded",
)
def test_weights_that_are_a_torch_pickle(run, capsys, marker):
    torch.save(_Payload(marker), run / "checkpoints" / "last" / "model.safetensors")
    err = _evaluate(capsys, run)
    assert "model.safetensors: cannot load weights" in err
    assert not marker.exists()


def test_trainer_state_that_is_a_pickle(run, marker):
    (run / "checkpoints" / "last" / "trainer.safetensors").write_bytes(_pickled(marker))
    with pytest.raises(SeqlabError, match=r"trainer\.safetensors: corrupt checkpoint") as e:
        load_trainer_tensors(run / "checkpoints" / "last")
    assert "\n" not in str(e.value)
    assert not marker.exists()


@pytest.mark.bad_input(
    kind="checkpoint",
    command="seqlab evaluate RUN, checkpoint.json replaced by a pickle or a JSON list",
    outcome="error: FILE: corrupt checkpoint metadata (exit 2)",
)
@pytest.mark.parametrize("content", ["pickle", "[1, 2]"])
def test_checkpoint_json_that_is_not_a_json_object(run, capsys, marker, content):
    meta = run / "checkpoints" / "last" / "checkpoint.json"
    meta.write_bytes(_pickled(marker) if content == "pickle" else content.encode())
    assert "checkpoint.json: corrupt checkpoint metadata" in _evaluate(capsys, run)
    assert not marker.exists()


def test_checkpoint_args_cannot_ask_for_a_pickle(run, capsys, marker, tmp_path):
    """Saved model arguments never reload vectors: the weights already hold them."""
    evil = tmp_path / "evil.kv"
    evil.write_bytes(_pickled(marker))
    meta_file = run / "checkpoints" / "last" / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    meta["model_args"].update(
        embedding_kind="pretrained", embedding_path=str(evil), embedding_trust_pickle=True
    )
    meta_file.write_text(json.dumps(meta))
    data = run.parent / "score.txt"
    data.write_text("the lazy dog\n")
    main(["evaluate", str(run), "--data", str(data), "--which", "last"])
    assert not marker.exists()


# ----------------------------------------------------------------------------- tokenizer, vocab


@pytest.mark.parametrize(
    "content,message",
    [
        ("pickle", "cannot read tokenizer"),
        ("model", "not a sentencepiece model"),
        ('{"kind": "bpe", "model": "not base64!"}', "base64"),
        ("[1]", "expected a JSON object"),
    ],
)
@pytest.mark.bad_input(
    kind="pickle",
    command="seqlab evaluate RUN, tokenizer.json replaced by a pickle or a non-tokenizer",
    outcome="error: RUN: cannot read ... (exit 2); no code runs",
)
def test_tokenizer_json_that_is_not_a_tokenizer(run, capsys, marker, content, message):
    if content == "pickle":
        data = _pickled(marker)
    elif content == "model":  # a pickle where the sentencepiece protobuf belongs
        model = base64.b64encode(_pickled(marker)).decode()
        data = json.dumps({"kind": "bpe", "model": model}).encode()
    else:
        data = content.encode()
    (run / "tokenizer.json").write_bytes(data)
    err = _evaluate(capsys, run)
    assert str(run) in err and message in err
    assert not marker.exists()


@pytest.mark.parametrize("content", ["pickle", '{"itos": 5}', '{"itos": ["a", "a"]}', "[]"])
def test_vocab_json_that_is_not_a_vocabulary(run, capsys, marker, content):
    data = _pickled(marker) if content == "pickle" else content.encode()
    (run / "vocab.json").write_bytes(data)
    assert "cannot read tokenizer/vocabulary" in _evaluate(capsys, run)
    assert not marker.exists()


# ----------------------------------------------------------------------------- .npy conditions


def test_npy_object_array_is_refused(tmp_path, marker):
    path = tmp_path / "features.npy"
    np.save(path, np.array([_Payload(marker), 1.0], dtype=object), allow_pickle=True)
    with pytest.raises(SeqlabError, match=r"features\.npy: not a readable \.npy matrix") as e:
        load_features(str(path))
    assert "\n" not in str(e.value) and "allow_pickle" in str(e.value)
    assert not marker.exists()


@pytest.mark.bad_input(
    kind="pickle",
    command="a .npy condition that is a pickle or an .npz archive",
    outcome="error: FILE: ... (exit 2); numpy loads with allow_pickle=False",
)
def test_npy_that_is_a_pickle_or_an_npz_is_refused(tmp_path, marker):
    pickled = tmp_path / "pickled.npy"
    pickled.write_bytes(_pickled(marker))
    with pytest.raises(SeqlabError, match=r"pickled\.npy: not a readable \.npy matrix"):
        load_features(str(pickled))
    archive = tmp_path / "archive.npz"
    np.savez(archive, a=np.zeros((2, 2)))
    renamed = archive.rename(tmp_path / "archive.npy")
    with pytest.raises(SeqlabError, match=r"archive\.npy: a \.npz archive"):
        load_features(str(renamed))
    assert not marker.exists()


# ----------------------------------------------------------------------------- YAML


def _python_tag(marker: Path) -> str:
    return f"!!python/object/apply:builtins.open ['{marker}', 'w']"


@pytest.mark.bad_input(
    kind="pickle",
    command="seqlab train CONFIG holding a !!python/object tag",
    outcome="error: CONFIG:LINE: invalid YAML (exit 2); YAML is read with a safe loader",
)
def test_yaml_config_with_a_python_tag(tmp_path, capsys, marker):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"task: lm\ndata: {_python_tag(marker)}\n")
    err = _cli_error(capsys, ["train", str(cfg)])
    assert "c.yaml:2: invalid YAML" in err
    assert not marker.exists()


def test_set_value_with_a_python_tag(tmp_path, capsys, marker):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("task: lm\ndata: {train: x.txt}\n")
    err = _cli_error(capsys, ["train", str(cfg), "--set", f"train.lr={_python_tag(marker)}"])
    assert "--set train.lr: invalid YAML value" in err
    assert not marker.exists()


def test_run_config_with_a_python_tag(run, capsys, marker):
    (run / "config.yaml").write_text(f"task: lm\nmodel: {_python_tag(marker)}\n")
    assert "config.yaml:2: invalid YAML" in _evaluate(capsys, run)
    assert not marker.exists()
