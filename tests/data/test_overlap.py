"""Held-out texts found whole inside a training text, by whole tokens."""

from __future__ import annotations

from seqlab.data.overlap import contained_in_any


def _split(*texts: str) -> list[list[str]]:
    return [t.split() for t in texts]


def test_a_run_of_whole_tokens_is_contained_anywhere_in_the_sequence():
    corpus = _split("it 's a gorgeous film .", "the plot is thin")
    candidates = _split("'s a gorgeous", "it 's", "film .", "the plot is thin", "plot")
    assert contained_in_any(candidates, corpus) == [True] * 5


def test_a_shared_prefix_or_a_gap_is_not_containment():
    corpus = _split("it 's a gorgeous film .")
    candidates = _split(
        "it 's a gorgeous mess",  # the first four tokens only
        "it 's a gorgeous film . indeed",  # longer than any training text
        "it a gorgeous",  # the tokens in order, but not contiguous
        "film it",  # both tokens, in the wrong order
    )
    assert contained_in_any(candidates, corpus) == [False] * 4


def test_tokens_match_whole_not_as_part_of_a_longer_word():
    corpus = _split("the goodness of it", "not bad at all")
    assert contained_in_any(_split("good", "goodness", "ba", "bad"), corpus) == [
        False,
        True,
        False,
        True,
    ]


def test_the_reverse_relation_does_not_count():
    """A training item inside the candidate (the other direction) leaves the candidate kept."""
    corpus = _split("good", "a film")
    assert contained_in_any(_split("a good film"), corpus) == [False]


def test_a_run_across_two_training_texts_is_not_contained():
    corpus = _split("a gorgeous", "film .")
    assert contained_in_any(_split("gorgeous film"), corpus) == [False]


def test_repeated_candidates_and_an_empty_one():
    corpus = _split("a b c")
    assert contained_in_any(_split("b c", "b c", "c d", ""), corpus) == [True, True, False, True]
    assert contained_in_any(_split("", "a"), []) == [False, False]


def test_the_corpus_is_read_once_so_a_generator_will_do():
    corpus = (t.split() for t in ["x y z", "u v"])
    assert contained_in_any(_split("y z", "u v", "z u"), corpus) == [True, True, False]
