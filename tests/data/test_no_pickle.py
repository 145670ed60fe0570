"""No vectors file runs code: a crafted pickle is refused on every path that reads vectors.

The crafted file unpickles into ``open(marker, "w")``, so the marker file appearing means its
code ran. Whatever its name (``.kv``, ``.txt``, ``.bin``), it must give a one-line error and
leave no marker: through the library, every ``seqlab embed`` command and
``model.embedding.path`` in each task with an embedding config. With the explicit opt-in
(``--trust-pickle``, ``embedding.trust_pickle: true``) a genuine gensim ``.kv`` file loads.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from seqlab.cli import main
from seqlab.data.vectors import FORMATS, detect_format, load_vectors
from seqlab.errors import SeqlabError

WORDS = ["the", "dog", "cat", "saw"]
NAMES = ("vecs.kv", "vecs.txt", "vecs.bin")


class _Payload:
    """Unpickling this calls ``open(marker, "w")``: a harmless stand-in for any code."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "CODE-RAN"


def _crafted(tmp_path: Path, name: str, marker: Path, protocol: int = 4) -> Path:
    p = tmp_path / name
    p.write_bytes(pickle.dumps(_Payload(marker), protocol=protocol))
    return p


def _genuine_kv(tmp_path: Path) -> Path:
    kv = KeyedVectors(4)
    kv.add_vectors(WORDS, np.random.default_rng(0).normal(size=(4, 4)).astype("f4"))
    kv.save(str(tmp_path / "genuine.kv"))
    return tmp_path / "genuine.kv"


def _cli_error(capsys, argv: list[str]) -> str:
    """Run the CLI expecting a user error: exit 2 and exactly one line on stderr."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


# ----------------------------------------------------------------------------- the library


@pytest.mark.parametrize("name", [*NAMES, "vecs.safetensors", "vecs"])
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_library_refuses_a_pickle_whatever_its_name(tmp_path, marker, name, protocol):
    p = _crafted(tmp_path, name, marker, protocol)
    assert detect_format(p) == "kv"  # found by its first byte, not by its name
    with pytest.raises(SeqlabError, match=r"pickle.*can run any code.*--trust-pickle") as e:
        load_vectors(p)
    assert "\n" not in str(e.value) and str(p) in str(e.value)
    assert not marker.exists()


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "kv"])
def test_no_other_reader_unpickles(tmp_path, marker, fmt):
    for name in NAMES:
        with pytest.raises(SeqlabError):
            load_vectors(_crafted(tmp_path, name, marker), fmt)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 1])
def test_text_protocol_pickles_are_not_vectors(tmp_path, marker, protocol):
    for name in ("vecs.txt", "vecs.bin"):
        with pytest.raises(SeqlabError, match="not a vectors file"):
            load_vectors(_crafted(tmp_path, name, marker, protocol))
    assert not marker.exists()


def test_trust_pickle_loads_genuine_gensim_vectors(tmp_path):
    kv = load_vectors(_genuine_kv(tmp_path), trust_pickle=True)
    assert kv.index_to_key == WORDS


# ----------------------------------------------------------------------------- seqlab embed

_COMMANDS = {
    "eval": ["eval", "{v}", "--analogies", "{q}", "--similarity", "{s}"],
    "neighbors": ["neighbors", "{v}", "dog", "--k", "2"],
    "compare": ["compare", "{v}", "dog", "cat"],
    "plot": ["plot", "{v}", "--words", "dog,cat,saw", "--out", "{png}"],
    "convert": ["convert", "{v}", "--out", "{out}"],
}


def _embed_argv(tmp_path: Path, command: str, vectors: Path) -> list[str]:
    q, s = tmp_path / "q.txt", tmp_path / "ws.tsv"
    q.write_text(": pets\nthe dog the cat\n")
    s.write_text("dog\tcat\t9\ndog\tsaw\t1\ncat\tthe\t2\n")
    files = {"q": q, "s": s, "png": tmp_path / "p.png", "out": tmp_path / "out.safetensors"}
    return ["embed", *[a.format(v=vectors, **files) for a in _COMMANDS[command]]]


@pytest.mark.bad_input(
    kind="pickle",
    command=(
        "seqlab embed eval|neighbors|compare|plot|convert VECTORS, a crafted pickle named .kv, "
        ".txt or .bin"
    ),
    outcome=(
        "error: FILE: ... a pickle can run code; --trust-pickle or seqlab embed convert (exit 2);"
        " no code runs"
    ),
)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("command", list(_COMMANDS))
def test_embed_commands_refuse_a_pickle(tmp_path, capsys, marker, command, name):
    err = _cli_error(capsys, _embed_argv(tmp_path, command, _crafted(tmp_path, name, marker)))
    assert "pickle" in err and "--trust-pickle" in err and "seqlab embed convert" in err
    assert not marker.exists()


@pytest.mark.parametrize("command", list(_COMMANDS))
def test_embed_commands_read_gensim_vectors_with_trust_pickle(tmp_path, capsys, command):
    main([*_embed_argv(tmp_path, command, _genuine_kv(tmp_path)), "--trust-pickle"])
    assert capsys.readouterr().out.strip()


# ----------------------------------------------------------------------------- model configs


def _task_config(tmp_path: Path, task: str, embedding: str) -> Path:
    """A tiny config of ``task`` whose model takes 4-d pretrained vectors from ``embedding``."""
    data = tmp_path / f"{task}.data"
    if task == "lm":
        data.write_text("the dog saw the cat\n" * 30)
        data_section = f"{{train: {data}, tokenizer: word, bptt: 4}}"
    elif task == "classify":
        data.write_text("a\tthe dog saw\nb\tthe cat saw\n" * 15)
        data_section = f"{{train: {data}}}"
    else:
        data.write_text("the O\ndog B-X\nsaw O\n\nthe O\ncat B-X\n\n" * 10)
        data_section = f"{{train: {data}}}"
    extra = ", char_features: none" if task == "tag" else ""
    cfg = tmp_path / f"{task}.yaml"
    cfg.write_text(
        f"task: {task}\nout_dir: {tmp_path / 'run'}\ndata: {data_section}\n"
        f"model: {{embedding_dim: 4, hidden_size: 8, dropout: 0.0{extra},\n"
        f"  embedding: {embedding}}}\n"
        "train: {batch_size: 2, max_steps: 1, progress: false, threads: 1}\n"
    )
    return cfg


@pytest.mark.bad_input(
    kind="pickle",
    command="seqlab train CONFIG with model.embedding.path a crafted pickle (lm, classify, tag)",
    outcome="error: FILE: ... embedding.trust_pickle: true (exit 2); no code runs",
)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("task", ["lm", "classify", "tag"])
def test_embedding_path_refuses_a_pickle(tmp_path, capsys, marker, task, name):
    vectors = _crafted(tmp_path, name, marker)
    cfg = _task_config(tmp_path, task, f"{{kind: pretrained, path: {vectors}}}")
    err = _cli_error(capsys, ["train", str(cfg)])
    assert str(vectors) in err and "embedding.trust_pickle: true" in err
    assert not marker.exists()


@pytest.mark.parametrize("task", ["lm", "classify", "tag"])
def test_embedding_trust_pickle_reads_gensim_vectors(tmp_path, capsys, task):
    embedding = f"{{kind: pretrained, path: {_genuine_kv(tmp_path)}, trust_pickle: true}}"
    main(["train", str(_task_config(tmp_path, task, embedding))])
    assert "pretrained embedding" in capsys.readouterr().err
    assert (tmp_path / "run" / "checkpoints" / "last").is_dir()
