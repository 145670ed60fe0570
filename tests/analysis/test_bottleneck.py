"""diagnose bottleneck: BLEU per source-length bucket for several seq2seq runs."""

from __future__ import annotations

import json

import pytest

from seqlab.analysis.bottleneck import BUCKETS, bucket_index
from seqlab.cli import main

WORDS = ["a", "b", "c", "d", "e", "f", "g"]


def _pairs() -> list[tuple[str, str]]:
    # copy task with sentences of 2..12 words: both buckets 1-5 and 6-10 (and 11-15) are filled
    out = []
    for n in range(2, 13):
        for k in range(3):
            words = [WORDS[(i * (k + 2) + n) % len(WORDS)] for i in range(n)]
            out.append((" ".join(words), " ".join(words)))
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("bottleneck")
    data = root / "pairs.tsv"
    data.write_text("".join(f"{s}\t{t}\n" for s, t in _pairs()), encoding="utf-8")
    out = []
    for attention in ("none", "bahdanau"):
        cfg = root / f"{attention}.yaml"
        cfg.write_text(
            f"""task: seq2seq
out_dir: {root / attention}
data: {{train: {data}, tokenizer: word, valid_fraction: 0.1, bleu_sentences: 4}}
model: {{cell: gru, embedding_dim: 8, hidden_size: 16, attention: {attention}}}
train: {{batch_size: 8, max_steps: 6, eval_every: 6, progress: false, threads: 1}}
"""
        )
        main(["train", str(cfg)])
        out.append(root / attention)
    src, ref = root / "src.txt", root / "ref.txt"
    src.write_text("".join(s + "\n" for s, _ in _pairs()))
    ref.write_text("".join(t + "\n" for _, t in _pairs()))
    return root, out, src, ref


def test_buckets_cover_every_length():
    assert bucket_index(1) == 0 and bucket_index(5) == 0 and bucket_index(6) == 1
    assert bucket_index(26) == len(BUCKETS) - 1 and bucket_index(400) == len(BUCKETS) - 1


def test_bleu_by_length_table_json_and_plot(runs, capsys):
    root, (a, b), src, ref = runs
    main(
        [
            "diagnose",
            "bottleneck",
            str(a),
            str(b),
            "--src",
            str(src),
            "--ref",
            str(ref),
            "--json",
            "--plot",
            str(root / "b.png"),
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert result["counts"][:3] == [12, 15, 6] and sum(result["counts"]) == len(_pairs())
    assert [r["name"] for r in result["runs"]] == ["none (none)", "bahdanau (bahdanau)"]
    assert all(len(r["bleu"]) == len(BUCKETS) for r in result["runs"])
    assert result["runs"][0]["bleu"][3] is None  # no source of 16-20 words
    assert (root / "b.png").stat().st_size > 0


def test_bad_input(runs, tmp_path, capsys, lm_config):
    root, (a, b), src, ref = runs
    with pytest.raises(SystemExit) as e:
        main(["diagnose", "bottleneck", str(a), "--src", str(src), "--ref", str(ref)])
    assert e.value.code == 2 and "two or more" in capsys.readouterr().err
    main(["train", str(lm_config(name="lm")), "--set", "train.max_steps=2"])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(
            [
                "diagnose",
                "bottleneck",
                str(a),
                str(tmp_path / "lm"),
                "--src",
                str(src),
                "--ref",
                str(ref),
            ]
        )
    assert "compares seq2seq runs only" in capsys.readouterr().err
