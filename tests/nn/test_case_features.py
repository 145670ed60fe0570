"""Casing classes come from the characters alone, padding stays zero, and a tagger with them
answers the same in a batch as one sentence at a time."""

from __future__ import annotations

import torch

from seqlab.data.vocab import Vocab
from seqlab.nn.case_features import CaseFeatures

WORDS = ["1996", "12-3", "word", "NATO", "Paris", "b2b", "e-mail", "U.S.", "I", "x1-2-3"]
# numeric, mainly numeric, all lower, all upper, initial upper, contains a digit, other, initial
# upper, all upper (one letter), contains a digit (3 digits of 6 are not more than half)
EXPECTED = [1, 2, 3, 4, 5, 6, 7, 5, 4, 6]


def _chars(vocab: Vocab, words: list[str], width: int = 8) -> torch.Tensor:
    out = torch.zeros(1, len(words) + 1, width, dtype=torch.long)  # one padded word at the end
    for j, w in enumerate(words):
        ids = vocab.encode(w)
        out[0, j, : len(ids)] = torch.tensor(ids)
    return out


def test_classes_of_known_words():
    vocab = Vocab.build([list("".join(WORDS))])
    case = CaseFeatures(vocab.itos)
    classes = case.classes(_chars(vocab, WORDS))
    assert classes[0].tolist() == [*EXPECTED, 0]
    vectors = case(_chars(vocab, WORDS))
    assert vectors.shape == (1, len(WORDS) + 1, 8) and not vectors[0, -1].any()


def test_unknown_characters_are_other_and_the_rule_survives_the_vocabulary_order():
    vocab = Vocab.build([list("zyxABC")])
    case = CaseFeatures(vocab.itos)
    assert case.classes(_chars(vocab, ["Aé", "ab"]))[0, :2].tolist() == [5, 7]  # é is <unk>
