"""Reading labelled delimited files and the stratified split."""

from __future__ import annotations

from collections import Counter

import pytest

from seqlab.data.delimited import read_delimited, stratified_split
from seqlab.errors import SeqlabError


def test_reads_columns_by_index_and_by_header_name(tmp_path):
    plain = tmp_path / "a.tsv"
    plain.write_text('ham\thello there\n\nspam\tWIN "cash" now\n')
    rows = read_delimited(str(plain))
    assert [(r.label, r.text, r.line) for r in rows] == [
        ("ham", "hello there", 1),
        ("spam", 'WIN "cash" now', 3),
    ]
    with_header = tmp_path / "b.tsv"
    with_header.write_text("sentence\tlabel\na fine film \t1\nawful\t0\n")
    rows = read_delimited(
        str(with_header), label_column="label", text_column="sentence", header=True
    )
    assert [(r.label, r.text) for r in rows] == [("1", "a fine film"), ("0", "awful")]
    csv = tmp_path / "c.csv"
    csv.write_text("x,pos,good\ny,neg,bad\n")
    assert [
        r.label for r in read_delimited(str(csv), label_column=-2, text_column=-1, delimiter=",")
    ] == ["pos", "neg"]


def test_label_column_out_of_range_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("ham\tok\nspam no tab here\n")
    with pytest.raises(SeqlabError, match=r"bad.tsv:2: label column 0|bad.tsv:2: text column 1"):
        read_delimited(str(path))
    with pytest.raises(SeqlabError, match=r"bad.tsv:1: label column 5 is out of range"):
        read_delimited(str(path), label_column=5)


def test_header_name_errors(tmp_path):
    path = tmp_path / "h.tsv"
    path.write_text("sentence\tlabel\nok\t1\n")
    with pytest.raises(SeqlabError, match="no column named 'target'"):
        read_delimited(str(path), label_column="target", text_column="sentence", header=True)
    with pytest.raises(SeqlabError, match="has no header"):
        read_delimited(str(path), label_column="label", text_column="sentence", header=False)
    only_header = tmp_path / "o.tsv"
    only_header.write_text("sentence\tlabel\n")
    with pytest.raises(SeqlabError, match="no examples"):
        read_delimited(str(only_header), label_column="label", text_column="sentence", header=True)


def test_stratified_split_keeps_shares_and_is_seeded():
    labels = ["ham"] * 87 + ["spam"] * 13
    train, valid, test = stratified_split(labels, (0.1, 0.1), seed=3)
    assert sorted(train + valid + test) == list(range(100))
    assert Counter(labels[i] for i in valid) == {"ham": 9, "spam": 1}
    assert Counter(labels[i] for i in test) == {"ham": 9, "spam": 1}
    assert stratified_split(labels, (0.1, 0.1), seed=3) == [train, valid, test]
    assert stratified_split(labels, (0.1, 0.1), seed=4) != [train, valid, test]
