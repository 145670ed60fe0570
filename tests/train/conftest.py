"""Tiny runs of the four sentence tasks (seq2seq, classify, tag, condgen), written on the fly.

Each task gets a few dozen examples and a model 8 units wide, so a run of a dozen
steps takes about a second. ``equal_lengths`` makes every example of a task the same length,
so that each DDP rank holds the same number of tokens in every batch.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest

EN_FR = {"cat": "chat", "dog": "chien", "red": "rouge", "big": "grand", "house": "maison"}
POSITIVE, NEGATIVE = ["good", "great", "fun", "love"], ["bad", "awful", "dull", "hate"]
PEOPLE, PLACES = ["Maria", "John", "Anna", "Peter"], ["Paris", "Berlin", "Tokyo", "Lima"]
FILLERS = ["today", "again", "then"]

TRAIN = "batch_size: 4, epochs: 2, lr: 0.01, log_every: 1, progress: false, threads: 1"
MODELS = {
    "seq2seq": "{cell: lstm, embedding_dim: 8, hidden_size: 8, attention: bahdanau}",
    "classify": "{cell: gru, embedding_dim: 8, hidden_size: 8, pooling: mean}",
    "tag": "{embedding_dim: 8, hidden_size: 8, output: crf, char_features: cnn,"
    " char_embedding_dim: 4, char_hidden_size: 4}",
    "condgen": "{embedding_dim: 8, hidden_size: 8, condition_dim: 4}",
    "transformer": "{arch: transformer, embedding_dim: 8, num_heads: 2, num_layers: 1}",
}
TASK = {"transformer": "seq2seq"}  # a name that is not a task: the task it runs


def _length(rng: random.Random, equal: bool, low: int, high: int) -> int:
    return high if equal else rng.randint(low, high)


def _seq2seq(folder: Path, rng: random.Random, equal: bool) -> str:
    def pair() -> str:
        words = rng.choices(list(EN_FR), k=_length(rng, equal, 1, 4))
        target = [EN_FR[w] for w in reversed(words)] + ["!"] * _length(rng, equal, 0, 2)
        return " ".join(words) + "\t" + " ".join(target)

    for name, n in (("train", 36), ("valid", 8)):
        (folder / f"{name}.tsv").write_text("".join(pair() + "\n" for _ in range(n)))
    return (
        f"{{train: {folder / 'train.tsv'}, valid: {folder / 'valid.tsv'}, tokenizer: word,"
        " bleu_sentences: 4}"
    )


def _classify(folder: Path, rng: random.Random, equal: bool) -> str:
    def line(i: int) -> str:
        label, words = ("pos", POSITIVE) if i % 2 else ("neg", NEGATIVE)
        return label + "\t" + " ".join(rng.choices(words, k=_length(rng, equal, 2, 6)))

    for name, n in (("train", 32), ("valid", 8)):
        (folder / f"{name}.tsv").write_text("".join(line(i) + "\n" for i in range(n)))
    return f"{{train: {folder / 'train.tsv'}, valid: {folder / 'valid.tsv'}}}"


def _tag(folder: Path, rng: random.Random, equal: bool) -> str:
    def sentence() -> str:
        rows = [(rng.choice(PEOPLE), "B-PER"), ("visited", "O"), (rng.choice(PLACES), "B-LOC")]
        rows += [(w, "O") for w in rng.sample(FILLERS, _length(rng, equal, 0, 2))] + [(".", "O")]
        return "".join(f"{token}\t{tag}\n" for token, tag in rows)

    for name, n in (("train", 32), ("valid", 8)):
        (folder / f"{name}.conll").write_text("\n".join(sentence() for _ in range(n)))
    return f"{{train: {folder / 'train.conll'}, valid: {folder / 'valid.conll'}, scheme: bio}}"


def _condgen(folder: Path, rng: random.Random, equal: bool) -> str:
    names = folder / "names"
    names.mkdir()
    for label, letters in (("Aa", "ab"), ("Zz", "yz")):
        lines = ["".join(rng.choices(letters, k=_length(rng, equal, 2, 6))) for _ in range(20)]
        (names / f"{label}.txt").write_text("\n".join(lines) + "\n")
    return f"{{train: {names}, valid_fraction: 0.1, samples: 4}}"


WRITERS = {"seq2seq": _seq2seq, "classify": _classify, "tag": _tag, "condgen": _condgen}
WRITERS["transformer"] = _seq2seq


def write_tiny_run(
    root: Path, task: str, name: str, *, equal_lengths: bool = False, train: str = ""
) -> Path:
    """Write tiny data (seeded: the same for every name) and a config whose ``out_dir`` is
    ``root / name``, with ``train`` (``"key: value, ..."``) added to its train section; returns
    the config path."""
    folder = root / f"{name}-data"
    folder.mkdir()
    data = WRITERS[task](folder, random.Random(0), equal_lengths)
    config = root / f"{name}.yaml"
    config.write_text(
        f"task: {TASK.get(task, task)}\nout_dir: {root / name}\ndata: {data}\n"
        f"model: {MODELS[task]}\ntrain: {{{', '.join(filter(None, (TRAIN, train)))}}}\n"
    )
    return config


@pytest.fixture
def tiny_task(tmp_path: Path):
    """:func:`write_tiny_run` in this test's ``tmp_path``: ``make(task, name, ...)``."""
    return functools.partial(write_tiny_run, tmp_path)


@pytest.fixture(scope="module")
def module_tiny_task(tmp_path_factory):
    """:func:`write_tiny_run` in one folder shared by a test module."""
    return functools.partial(write_tiny_run, tmp_path_factory.mktemp("tiny"))
