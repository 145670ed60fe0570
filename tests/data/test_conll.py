"""CoNLL reading, IOB1 -> BIO, BIO checks and repair, entity spans."""

from __future__ import annotations

import itertools

import pytest

from seqlab.data.conll import (
    bio_problems,
    bio_to_iobes,
    entity_spans,
    iob1_to_bio,
    iobes_to_bio,
    read_conll,
    repair_bio,
)
from seqlab.errors import SeqlabError


def test_iob1_to_bio():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG", "O", "I-MISC"]
    assert iob1_to_bio(iob1) == [
        "B-PER",
        "I-PER",
        "B-PER",
        "O",
        "B-LOC",
        "B-ORG",
        "I-ORG",
        "O",
        "B-MISC",
    ]
    bio = ["B-PER", "I-PER", "O", "B-LOC"]
    assert iob1_to_bio(bio) == bio  # valid BIO is valid IOB1 read the same way


def test_bio_problems_and_repair():
    tags = ["O", "I-PER", "B-LOC", "I-ORG", "I-ORG", "B-PER", "I-PER"]
    assert bio_problems(tags) == [(1, "I-PER after O"), (3, "I-ORG after B-LOC")]
    fixed = repair_bio(tags)
    assert fixed == ["O", "B-PER", "B-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    assert bio_problems(fixed) == []


def test_entity_spans():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-ORG"]
    assert entity_spans(tags) == [("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 6), ("ORG", 6, 7)]


def test_reads_conll03_style_with_docstart_and_iob1(tmp_path):
    path = tmp_path / "eng.train"
    path.write_text(
        "-DOCSTART- -X- -X- O\n\n"
        "EU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n"
        "Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n\n\n"
        "Smith NNP I-NP I-PER\nJones NNP I-NP B-PER\n"
    )
    sents = read_conll(str(path), scheme="iob1")
    assert [s.tokens for s in sents] == [
        ["EU", "rejects", "German"],
        ["Peter", "Blackburn"],
        ["Smith", "Jones"],
    ]
    assert sents[0].tags == ["B-ORG", "O", "B-MISC"]
    assert sents[1].tags == ["B-PER", "I-PER"]
    assert sents[2].tags == ["B-PER", "B-PER"]
    assert [s.line for s in sents] == [3, 7, 11]


def test_two_column_wnut_style_and_tag_errors(tmp_path):
    path = tmp_path / "w.conll"
    path.write_text("@paul\tO\nEmpire\tB-location\nState\tI-location\n\nhi\tO\n")
    sents = read_conll(str(path))
    assert sents[0].tags == ["O", "B-location", "I-location"] and sents[1].tokens == ["hi"]
    bad = tmp_path / "bad.conll"
    bad.write_text("a\tO\nb\tNNP\n")
    with pytest.raises(SeqlabError, match=r"bad.conll:2: tag 'NNP' is not O, B-TYPE or I-TYPE"):
        read_conll(str(bad))


def test_wrong_column_count_names_file_and_line(tmp_path):
    path = tmp_path / "cols.conll"
    path.write_text("EU NNP I-NP B-ORG\nrejects VBZ I-VP O\n\nGerman I-MISC\n")
    with pytest.raises(SeqlabError, match=r"cols.conll:4: 2 column\(s\), expected 4"):
        read_conll(str(path))
    missing_tag = tmp_path / "tok.conll"
    missing_tag.write_text("a O\nb\n")
    with pytest.raises(SeqlabError, match=r"tok.conll:2: 1 column\(s\), expected 2"):
        read_conll(str(missing_tag))
    with pytest.raises(SeqlabError, match=r"tok.conll:1: tag column 5 is out of range"):
        read_conll(str(missing_tag), tag_column=5)


def test_broken_bio_repaired_or_rejected_by_flag(tmp_path):
    path = tmp_path / "b.conll"
    path.write_text("x O\ny O\n\nJohn I-PER\nsaid O\n")
    with pytest.raises(SeqlabError, match=r"b.conll:4: tag sequence breaks BIO at token 1"):
        read_conll(str(path), bad_tags="error")
    assert read_conll(str(path), bad_tags="repair")[1].tags == ["B-PER", "O"]


def test_iobes_marks_ends_and_single_tokens():
    bio = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC", "B-ORG"]
    iobes = ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "I-LOC", "E-LOC", "S-ORG"]
    assert bio_to_iobes(bio) == iobes
    assert bio_to_iobes(["B-PER", "I-LOC"]) == ["S-PER", "E-LOC"]  # a type change ends it


def test_iobes_round_trips_every_well_formed_bio_sequence():
    tags = ["O", "B-A", "I-A", "B-B", "I-B"]
    for n in range(1, 6):
        for seq in itertools.product(tags, repeat=n):
            bio = repair_bio(list(seq))
            assert iobes_to_bio(bio_to_iobes(bio)) == bio, bio


def test_ill_formed_iobes_predictions_read_as_conlleval_does():
    predicted = ["S-PER", "E-PER", "O", "E-LOC", "I-LOC"]
    bio = iobes_to_bio(predicted)
    assert bio == ["B-PER", "I-PER", "O", "I-LOC", "I-LOC"]
    assert entity_spans(bio) == [("PER", 0, 2), ("LOC", 3, 5)]
