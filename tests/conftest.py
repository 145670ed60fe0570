"""Shared fixtures: small texts made on the fly, and the shared data folder when present."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

import pytest
import torch
import yaml

from seqlab.cli import main

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

PANGRAMS = (
    "the quick brown fox jumps over the lazy dog.\n"
    "pack my box with five dozen liquor jugs!\n"
    "how vexingly quick daft zebras jump.\n"
    "sphinx of black quartz, judge my vow.\n"
)


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    """About 6 kB of repetitive English: enough for a few BPTT windows."""
    p = tmp_path / "corpus.txt"
    p.write_text(PANGRAMS * 40, encoding="utf-8")
    return p


@pytest.fixture
def lm_config(tmp_path: Path, text_file: Path):
    """Write a tiny LM config; returns a function taking overrides (a YAML string tail)."""

    def make(extra: str = "", name: str = "run") -> Path:
        cfg = tmp_path / f"{name}.yaml"
        cfg.write_text(
            f"""task: lm
out_dir: {tmp_path / name}
data:
  train: {text_file}
  tokenizer: char
  bptt: 16
model:
  cell: lstm
  embedding_dim: 16
  hidden_size: 32
  num_layers: 1
  dropout: 0.0
train:
  batch_size: 8
  epochs: 2
  lr: 0.01
  eval_every: 10
  log_every: 1
  progress: false
  threads: 1
{extra}"""
        )
        return cfg

    return make


def shakespeare() -> Path:
    return SHARED_DATA / "tinyshakespeare" / "input.txt"


#: a test that reads ../shared/data: skipped where the folder is missing, except under CI (the
#: environment variable CI set), where a missing folder fails the test instead
needs_shared = pytest.mark.needs_shared


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_shared") is None or SHARED_DATA.exists():
        return
    reason = "../shared/data is not present (shared data sets)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so a missing data set is a failure", pytrace=False)
    pytest.skip(reason)


#: the longest file (the demos train several models): handed out first, so it is not the tail
FIRST_FILES = ("tests/scripts/test_demo.py",)


def pytest_configure(config: pytest.Config) -> None:
    """Under ``--dist loadfile`` xdist hands out whole files, longest list of tests first; a
    few tests can take minutes, so the order comes from ``pytest_collection_modifyitems``."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files in the order xdist then hands them out: the demos first, then the files by their
    number of tests (xdist's own rule), and last the files whose tests start processes of their
    own (DDP, multi-node), so the worker that runs them never waits long for the demos' lock."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def rank(name: str) -> tuple[int, int]:
        tests = files[name]
        grouped = any(t.get_closest_marker("xdist_group") for t in tests)
        return (0 if name in FIRST_FILES else 2 if grouped else 1), -len(tests)

    items[:] = [item for name in sorted(files, key=rank) for item in files[name]]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Tests marked ``xdist_group(NAME)`` (those that start processes of their own: DDP,
    multi-node, the demos) never run at the same time on two xdist workers: each holds a lock
    file of the run for its setup, call and teardown (xdist's own ``--dist loadgroup`` does not
    work with pytest 9: it renames test ids in a way pytest 9 ignores). The per-test timeout
    starts once the lock is held."""
    mark = item.get_closest_marker("xdist_group")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if mark is None or run is None:
        return (yield)
    path = Path(tempfile.gettempdir()) / f"seqlab-tests-{run}-{mark.args[0]}.lock"
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return (yield)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def cli_error(capsys):
    """``cli_error(*argv)``: run the CLI expecting a user error, exit 2 and one ``error:`` line
    on stderr without a traceback; returns that line."""

    def run(*argv) -> str:
        with pytest.raises(SystemExit) as e:
            main([str(a) for a in argv])
        err = capsys.readouterr().err
        assert e.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
        return err

    return run


@pytest.fixture(autouse=True)
def one_thread():
    """Every test runs torch on one thread: the models are tiny, and two workers on two cores
    would only fight over them. A test (or a trainer's ``threads``) may change it; it is reset."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ------------------------------------------------------------------ tiny trained runs

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
def tiny_runs(tmp_path_factory) -> dict[str, Path]:
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


@pytest.fixture(scope="session")
def pairs() -> list[tuple[str, str]]:
    """The seq2seq run's training pairs (source, target)."""
    return PAIRS


@pytest.fixture(scope="session")
def tiny_twins(tiny_runs) -> dict[str, Path]:
    """name -> a second run of ``tiny_runs[name]`` (s2s, sentiment, ner): the same data, hence
    the same vocabularies, trained from another seed; for ensembles."""
    out = {}
    for name in ("s2s", "sentiment", "ner"):
        config = yaml.safe_load((tiny_runs[name] / "config.yaml").read_text())
        config["train"]["seed"] = 2
        config["out_dir"] = str(tiny_runs[name].parent / f"{name}-twin")
        path = tiny_runs[name].parent / f"{name}-twin.yaml"
        path.write_text(yaml.safe_dump(config))
        main(["train", str(path)])
        out[name] = Path(config["out_dir"])
    return out
