"""Tiny trained runs of every task, and a live server on 127.0.0.1 for the serve tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from seqlab.cli import main
from seqlab.serve.app import Limits, create_app
from seqlab.serve.models import load_models

PAIRS = [("a b c", "c b a"), ("a b d", "d b a"), ("b c d", "d c b"), ("c d e", "e d c")]
PAIRS += [("d e a", "a e d"), ("e a b", "b a e"), ("b d a", "a d b"), ("c a e", "e a c")]


def _train(root: Path, name: str, task: str, data: str, model: str, train: str) -> Path:
    cfg = root / f"{name}.yaml"
    cfg.write_text(
        f"task: {task}\nout_dir: {root / name}\ndata: {data}\nmodel: {model}\n"
        f"train: {{progress: false, threads: 1, epochs: 1000, {train}}}\n"
    )
    main(["train", str(cfg)])
    return root / name


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, Path]:
    """name -> run directory: seq2seq (reverse three letters), lm, condgen, classify, tag."""
    root = tmp_path_factory.mktemp("runs")
    pairs = root / "pairs.tsv"
    pairs.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 4))
    text = root / "text.txt"
    text.write_text("the quick brown fox jumps over the lazy dog.\n" * 60)
    names = root / "name_lists"
    names.mkdir()
    (names / "Aa.txt").write_text("ab\naab\nabb\naba\n" * 8)
    (names / "Zz.txt").write_text("zy\nzzy\nzyy\nzyz\n" * 8)
    labelled = root / "labels.tsv"
    labelled.write_text("pos\tgood great fine\nneg\tbad awful poor\n" * 20)
    conll = root / "ner.conll"
    conll.write_text("Anna B-PER\nvisited O\nParis B-LOC\n. O\n\n" * 20)
    small = "{embedding_dim: 16, hidden_size: 24, dropout: 0.0}"
    return {
        "s2s": _train(
            root, "s2s", "seq2seq", f"{{train: {pairs}, tokenizer: word, valid_fraction: 0.0}}",
            "{embedding_dim: 16, hidden_size: 24, dropout: 0.0, cell: lstm}",
            "batch_size: 8, max_steps: 150, lr: 0.02, eval_every: 150",
        ),
        "lm": _train(
            root, "lm", "lm", f"{{train: {text}, tokenizer: char, bptt: 16}}", small,
            "batch_size: 8, max_steps: 40, lr: 0.01, eval_every: 40",
        ),
        "names": _train(
            root, "names", "condgen", f"{{train: {names}, samples: 0}}", small,
            "batch_size: 8, max_steps: 40, lr: 0.01, eval_every: 40",
        ),
        "sentiment": _train(
            root, "sentiment", "classify", f"{{train: {labelled}}}", small,
            "batch_size: 8, max_steps: 30, lr: 0.02, eval_every: 30",
        ),
        "ner": _train(
            root, "ner", "tag", f"{{train: {conll}}}", small,
            "batch_size: 8, max_steps: 30, lr: 0.02, eval_every: 30",
        ),
    }  # fmt: skip


@contextmanager
def _serving(app) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def loaded(runs):
    """Every run loaded once (the server's own objects)."""
    return load_models([f"{name}={path}" for name, path in runs.items()], "cpu")


@pytest.fixture
def app_factory(loaded):
    """A fresh app (its own batchers and limits) over the loaded runs."""

    def make(limits: Limits = Limits(), api_key: str | None = None):
        return create_app(dict(loaded), limits, api_key)

    return make


@pytest.fixture(scope="session")
def serving():
    """serving(app): a context manager running ``app`` on a free port; yields its base URL."""
    return _serving


@pytest.fixture(scope="session")
def pairs() -> list[tuple[str, str]]:
    """The seq2seq run's training pairs (source, target)."""
    return PAIRS
