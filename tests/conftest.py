"""Shared fixtures: small texts made on the fly, and the shared data folder when present."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

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


needs_shared = pytest.mark.skipif(
    not SHARED_DATA.exists(), reason="../shared/data is not present (shared data sets)"
)


@pytest.fixture(autouse=True)
def one_thread():
    """Every test runs torch on one thread: the models are tiny, and two workers on two cores
    would only fight over them. A test (or a trainer's ``threads``) may change it; it is reset."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
