"""data.exclude_pairs: the listed (source, target) pairs are left out of a seq2seq run's
training, matched after NFC and trimming, and counted in the data line training prints."""

from __future__ import annotations

import json
import unicodedata

from seqlab.cli import main

PAIRS = [("안녕하세요", "안녕"), ("안녕하세요", "안녕하세요"), ("오늘 어때?", "좋아요")]


def train(tmp_path, capsys, excluded: str) -> tuple[str, list[str]]:
    """The data line of a 1-step run, and its target vocabulary."""
    data = tmp_path / "pairs.tsv"
    data.write_text("".join(f"{q}\t{a}\n" for q, a in PAIRS), encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(
        f"task: seq2seq\nout_dir: {tmp_path / 'run'}\n"
        f"data: {{train: {data}, tokenizer: word, valid_fraction: 0.0, bleu_sentences: 1,"
        f" exclude_pairs: {excluded}}}\n"
        "model: {embedding_dim: 8, hidden_size: 8}\n"
        "train: {max_steps: 1, eval_every: 0, progress: false, threads: 1}\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    main(["train", str(config)])
    out = capsys.readouterr()
    line = next(x for x in (out.out + out.err).splitlines() if x.startswith("train: "))
    vocab = json.loads((tmp_path / "run" / "tgt_vocab.json").read_text(encoding="utf-8"))["itos"]
    return line, vocab


def test_a_listed_pair_is_left_out_however_it_is_spelled(tmp_path, capsys):
    listed = json.dumps([[unicodedata.normalize("NFD", " 안녕하세요"), "안녕 "], ["없는", "쌍"]])
    line, vocab = train(tmp_path, capsys, listed)
    assert "3 pairs read" in line and "1 excluded as listed" in line and "2 kept" in line
    assert "안녕" not in vocab and "좋아요" in vocab  # the only pair with that word is gone


def test_nothing_listed_leaves_out_nothing(tmp_path, capsys):
    line, vocab = train(tmp_path, capsys, "[]")
    assert "excluded" not in line and "3 kept" in line and "안녕" in vocab


def test_a_listed_pair_needs_two_texts(tmp_path, cli_error):
    config = tmp_path / "c.yaml"
    config.write_text("task: seq2seq\ndata: {train: x.tsv, exclude_pairs: [[a]]}\n")
    assert "exclude_pairs: expected [source, target] pairs" in cli_error("train", config)
