"""Word2Vec training: streamed corpus, learned structure, outputs and errors."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import seqlab.train.word2vec as w2v
from seqlab.data.vectors import load_vectors
from seqlab.errors import ConfigError, SeqlabError
from seqlab.train.word2vec import (
    LineCorpus,
    Word2VecConfig,
    output_paths,
    save_trained,
    train_word2vec,
)

ANIMALS = ["dog", "cat", "horse", "cow", "sheep", "goat"]
VEHICLES = ["car", "truck", "bus", "train", "bike", "van"]


def _topic_corpus(path: Path, lines: int = 600) -> Path:
    """Each line is 8 words from one topic: words of a topic share contexts, topics never mix."""
    rng = random.Random(0)
    with open(path, "w") as f:
        for _ in range(lines):
            group = rng.choice([ANIMALS, VEHICLES])
            f.write(" ".join(rng.choice(group) for _ in range(8)) + "\n")
    return path


def _config(**kw) -> Word2VecConfig:
    base = dict(dim=16, min_count=1, epochs=5, workers=1, seed=1, sample=0.0)
    return Word2VecConfig(**{**base, **kw})


@pytest.mark.parametrize("sg,hs", [(True, False), (False, True)])
def test_words_sharing_contexts_end_up_near(tmp_path, sg, hs):
    corpus = _topic_corpus(tmp_path / "topics.txt")
    result = train_word2vec(corpus, _config(sg=sg, hs=hs), progress=False)
    kv = result.kv
    assert kv.vector_size == 16 and set(kv.index_to_key) == set(ANIMALS + VEHICLES)
    nearest = [w for w, _ in kv.most_similar("dog", topn=5)]
    assert set(nearest) == set(ANIMALS) - {"dog"}
    within = np.mean([kv.similarity("cat", a) for a in ANIMALS if a != "cat"])
    between = np.mean([kv.similarity("cat", v) for v in VEHICLES])
    assert within > between + 0.3
    assert result.corpus_words == 600 * 8
    assert result.processed_words == 5 * 600 * 8 and result.words_per_second > 0
    assert "words/s" in result.summary()


def test_corpus_streams_again_and_cuts_long_lines(tmp_path, monkeypatch):
    p = tmp_path / "c.txt"
    p.write_text("The Dog barked.\n\n" + "a " * 7 + "\n")
    monkeypatch.setattr(w2v, "MAX_SENTENCE_TOKENS", 4)
    corpus = LineCorpus(p, lowercase=True)
    first = list(corpus)
    assert first == list(corpus)  # restartable: gensim iterates once per epoch
    assert first[0] == ["the", "dog", "barked", "."]
    assert [len(s) for s in first[1:]] == [4, 3]  # no blank sentence; 7 tokens in two pieces


def test_lee_corpus_from_gensim(tmp_path):
    from seqlab.analysis.word_vectors import default_eval_file

    lee = default_eval_file("questions-words.txt").with_name("lee_background.cor")
    if not lee.exists():
        pytest.skip("gensim's lee_background.cor is not installed")
    tokens = sum(len(s) for s in LineCorpus(lee))
    result = train_word2vec(
        lee, _config(dim=20, epochs=1, min_count=5, sample=1e-3), progress=False
    )
    assert result.corpus_words == tokens
    assert 1000 < len(result.kv.index_to_key) < 5000


def test_empty_corpus_and_too_high_min_count(tmp_path):
    blank = tmp_path / "blank.txt"
    blank.write_text("\n   \n\n")
    with pytest.raises(SeqlabError, match=r"blank\.txt: the corpus has no tokens"):
        train_word2vec(blank, _config(), progress=False)
    rare = tmp_path / "rare.txt"
    rare.write_text("one two three\n")
    with pytest.raises(SeqlabError, match="no word occurs 5 times.*--min-count"):
        train_word2vec(rare, _config(min_count=5), progress=False)
    with pytest.raises(SeqlabError, match="no such corpus"):
        train_word2vec(tmp_path / "missing.txt", _config(), progress=False)


def test_config_is_validated():
    with pytest.raises(ConfigError, match="dim must be at least 1"):
        Word2VecConfig(dim=0)
    with pytest.raises(ConfigError, match="negative"):
        Word2VecConfig(negative=0)
    Word2VecConfig(negative=0, hs=True)  # fine: hierarchical softmax needs no negatives


def test_outputs_safetensors_text_and_binary_load_back(tmp_path):
    corpus = _topic_corpus(tmp_path / "topics.txt", lines=50)
    kv = train_word2vec(corpus, _config(epochs=1), progress=False).kv
    for suffix in (".safetensors", ".kv", ".txt", ".bin"):
        assert output_paths(tmp_path / f"vec{suffix}") == output_paths(tmp_path / "vec")
    written = save_trained(kv, tmp_path / "out" / "vec", binary=True)
    assert [p.name for p in written] == ["vec.safetensors", "vec.txt", "vec.bin"]
    for p in written:
        back = load_vectors(p)
        assert back.index_to_key == kv.index_to_key
        np.testing.assert_allclose(back.vectors, kv.vectors, rtol=1e-6)
    plain = save_trained(kv, tmp_path / "plain")
    assert [p.name for p in plain] == ["plain.safetensors", "plain.txt"]  # no pickle by default
