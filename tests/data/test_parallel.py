"""Parallel data: aligned files and TSV, what is dropped and counted, splits and batches."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from seqlab.data.batching import epoch_batches
from seqlab.data.chatterbot import chatterbot_pairs
from seqlab.data.parallel import (
    PairStats,
    filter_lengths,
    make_batch,
    read_aligned,
    read_tsv,
    split_pairs,
)
from seqlab.data.vocab import EOS_ID, PAD_ID, SOS_ID
from seqlab.errors import SeqlabError

MULTI30K = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "multi30k"


def _write(path: Path, lines: list[str]) -> str:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return str(path)


def test_unaligned_files_name_both_files_and_counts(tmp_path):
    src = _write(tmp_path / "a.en", ["one", "two", "three"])
    tgt = _write(tmp_path / "a.fr", ["un", "deux"])
    with pytest.raises(SeqlabError) as e:
        read_aligned(src, tgt)
    msg = str(e.value)
    assert "a.en" in msg and "a.fr" in msg and "3" in msg and "2" in msg


def test_empty_side_dropped_and_counted(tmp_path):
    src = _write(tmp_path / "s.gz", ["hello", "", "good night", "  "])
    tgt = _write(tmp_path / "t.gz", ["bonjour", "rien", "", "x"])
    pairs, stats = read_aligned(src, tgt)
    assert pairs == [("hello", "bonjour")]
    assert (stats.read, stats.empty, stats.kept) == (4, 3, 1)
    assert "3 with an empty side dropped" in stats.describe("train")


def test_tsv_columns_and_errors(tmp_path):
    path = _write(tmp_path / "fra.txt", ["Go.\tVa !\tCC-BY", "Hi.\t", "Run!\tCours !"])
    pairs, stats = read_tsv(path)
    assert pairs == [("Go.", "Va !"), ("Run!", "Cours !")] and stats.empty == 1
    swapped, _ = read_tsv(path, columns=(1, 0))
    assert swapped[0] == ("Va !", "Go.")
    bad = _write(tmp_path / "bad.tsv", ["a\tb", "no tab here"])
    with pytest.raises(SeqlabError, match=r"bad.tsv:2: 1 tab-separated column"):
        read_tsv(bad)


def test_invalid_utf8_names_file_and_line(tmp_path):
    src = tmp_path / "s.txt"
    src.write_bytes(b"fine\nbad \xff byte\n")
    tgt = _write(tmp_path / "t.txt", ["ok", "ok"])
    with pytest.raises(SeqlabError, match=r"s.txt:2: invalid utf-8"):
        read_aligned(str(src), tgt)


def test_length_filter_counts():
    stats = PairStats(read=3)
    pairs = [([1] * 3, [1] * 3), ([1] * 9, [1]), ([1], [1] * 9)]
    kept = filter_lengths(pairs, 5, 5, stats)
    assert len(kept) == 1 and stats.too_long == 2 and stats.kept == 1
    assert len(filter_lengths(pairs, 0, 0, PairStats())) == 3  # 0 = no limit


def test_split_is_seeded_and_disjoint():
    pairs = [(str(i), str(i)) for i in range(100)]
    train, valid = split_pairs(pairs, 0.1, seed=7)
    assert len(valid) == 10 and len(train) == 90
    assert not set(train) & set(valid)
    assert split_pairs(pairs, 0.1, seed=7) == (train, valid)
    assert split_pairs(pairs, 0.1, seed=8)[1] != valid


def test_epoch_batches_pure_and_cover():
    lengths = [i % 13 + 1 for i in range(200)]
    a = epoch_batches(lengths, 16, seed=3)
    assert a == epoch_batches(lengths, 16, seed=3)
    assert a != epoch_batches(lengths, 16, seed=4)
    assert all(len(b) == 16 for b in a)
    assert len({i for b in a for i in b}) == 16 * len(a)


def test_make_batch_layout():
    b = make_batch([([5, 6], [7]), ([8], [9, 10, 11])])
    assert b.src.tolist() == [[5, 6, EOS_ID], [8, EOS_ID, PAD_ID]]
    assert b.src_lengths.tolist() == [3, 2]
    assert b.tgt_in.tolist() == [[SOS_ID, 7, PAD_ID, PAD_ID], [SOS_ID, 9, 10, 11]]
    assert b.tgt_out.tolist() == [[7, EOS_ID, PAD_ID, PAD_ID], [9, 10, 11, EOS_ID]]
    assert b.num_tokens == 6


def test_chatterbot_english_pairs():
    pairs = chatterbot_pairs("english")
    assert len(pairs) == 2393
    assert all(isinstance(q, str) and isinstance(a, str) for q, a in pairs)
    with pytest.raises(SeqlabError, match="no language 'klingon'"):
        chatterbot_pairs("klingon")


@pytest.mark.skipif(not MULTI30K.exists(), reason="../shared/data/multi30k not available")
def test_multi30k_val_reads_aligned():
    pairs, stats = read_aligned(str(MULTI30K / "val.en.gz"), str(MULTI30K / "val.fr.gz"))
    assert stats.read == 1014 and len(pairs) == stats.kept
