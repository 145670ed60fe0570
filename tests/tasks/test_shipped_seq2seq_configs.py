"""The shipped Multi30k and Tatoeba configs train end to end on a slice of the real files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from seqlab.cli import main

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason="../shared/data is not present (shared data sets)"
)

TINY = [
    "--set",
    "model.hidden_size=16",
    "--set",
    "model.embedding_dim=16",
    "--set",
    "data.vocab_size=120",
    "--set",
    "data.bleu_sentences=8",
    "--set",
    "train.max_steps=4",
    "--set",
    "train.eval_every=4",
    "--set",
    "train.batch_size=8",
    "--set",
    "train.threads=1",
    "--set",
    "train.progress=false",
]


def _valid_records(run_dir):
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r["split"] == "valid"]


@needs_shared
def test_tatoeba_config_trains_on_a_slice_with_its_seeded_split(tmp_path, capsys):
    src = SHARED_DATA / "tatoeba-fra-eng" / "fra.txt"
    lines = src.read_text(encoding="utf-8").splitlines()[:400]
    (tmp_path / "fra.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("a", "b"):
        main(
            [
                "train",
                str(REPO / "configs" / "seq2seq_tatoeba.yaml"),
                "--set",
                f"data.train={tmp_path / 'fra.txt'}",
                "--set",
                f"out_dir={tmp_path / name}",
                "--set",
                "data.valid_fraction=0.1",
                *TINY,
            ]
        )
    a, b = _valid_records(tmp_path / "a"), _valid_records(tmp_path / "b")
    assert a and {"loss", "bleu"} <= set(a[-1])
    assert a[-1]["tokens"] == b[-1]["tokens"]  # the same seeded held-out pairs
    out = capsys.readouterr()
    assert "pairs" in out.out + out.err


@needs_shared
def test_multi30k_config_trains_on_a_slice(tmp_path):
    d = SHARED_DATA / "multi30k"
    for split in ("train", "val"):
        for lang in ("en", "fr"):
            with gzip.open(d / f"{split}.{lang}.gz", "rt", encoding="utf-8") as f:
                head = [next(f) for _ in range(300 if split == "train" else 40)]
            (tmp_path / f"{split}.{lang}").write_text("".join(head), encoding="utf-8")
    main(
        [
            "train",
            str(REPO / "configs" / "seq2seq_multi30k.yaml"),
            *[
                x
                for k, v in {
                    "data.train": "train.en",
                    "data.train_tgt": "train.fr",
                    "data.valid": "val.en",
                    "data.valid_tgt": "val.fr",
                }.items()
                for x in ("--set", f"{k}={tmp_path / v}")
            ],
            "--set",
            f"out_dir={tmp_path / 'run'}",
            *TINY,
        ]
    )
    records = _valid_records(tmp_path / "run")
    assert records and records[-1]["tokens"] > 0 and 0 <= records[-1]["bleu"] <= 100
