"""Train word vectors with gensim's Word2Vec on a corpus streamed from disk.

The corpus is one sentence (or document) per line, read with :func:`~seqlab.data.io.iter_lines`
and split with seqlab's :class:`~seqlab.data.tokenizers.WordTokenizer`, so the vectors' words
are the tokens seqlab's models see. :class:`LineCorpus` can be iterated again and again (gensim
makes one pass to count words, then one per epoch), and never holds the corpus in memory.

    skip-gram (sg=True)    predict each context word from the centre word; better on rare words
    CBOW (sg=False)        predict the centre word from the averaged context; faster
    negative sampling      score the true word against ``negative`` random ones (default)
    hierarchical softmax   (hs=True) a binary Huffman tree over the vocabulary instead

Only with ``workers=1`` (and a fixed ``PYTHONHASHSEED``) is a run exactly reproducible; with
more workers the thread scheduling changes the order of updates.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gensim.models import KeyedVectors, Word2Vec
from gensim.models.callbacks import CallbackAny2Vec

from seqlab.data.io import check_file, iter_lines
from seqlab.data.tokenizers import WordTokenizer
from seqlab.data.vectors import save_vectors
from seqlab.errors import ConfigError, SeqlabError

# gensim's Cython loop silently truncates a sentence at 10,000 tokens; we cut long lines instead
MAX_SENTENCE_TOKENS = 10_000


class LineCorpus:
    """A restartable stream of token lists, one per non-empty line of ``path``.

    Lines longer than :data:`MAX_SENTENCE_TOKENS` come out as several consecutive pieces.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        lowercase: bool = False,
        split: str = "regex",
        encoding: str = "utf-8",
    ):
        self.path = check_file(path, "corpus")
        self.encoding = encoding
        self.tokenizer = WordTokenizer(lowercase=lowercase, split=split)

    def __iter__(self) -> Iterator[list[str]]:
        for line in iter_lines(self.path, self.encoding, "corpus"):
            tokens = self.tokenizer.tokenize(line)
            for start in range(0, len(tokens), MAX_SENTENCE_TOKENS):
                yield tokens[start : start + MAX_SENTENCE_TOKENS]


@dataclass(frozen=True)
class Word2VecConfig:
    """Word2Vec hyper-parameters (gensim's names in brackets where they differ)."""

    sg: bool = True
    """skip-gram if True, CBOW if False"""
    hs: bool = False
    """hierarchical softmax instead of negative sampling"""
    negative: int = 5
    """negative samples per positive pair (ignored with ``hs``)"""
    dim: int = 100
    """vector dimension (``vector_size``)"""
    window: int = 5
    """maximum distance between the centre word and a context word"""
    min_count: int = 5
    """words seen fewer times are dropped from the vocabulary"""
    epochs: int = 5
    """passes over the corpus"""
    workers: int = 2
    """training threads"""
    seed: int = 1
    """seed of gensim's random initialisation and sampling"""
    sample: float = 1e-3
    """threshold for down-sampling very frequent words"""

    def __post_init__(self) -> None:
        for name in ("dim", "window", "min_count", "epochs", "workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"word2vec: {name} must be at least 1, got {getattr(self, name)}")
        if not self.hs and self.negative < 1:
            raise ConfigError(
                "word2vec: negative must be at least 1 unless hs (hierarchical softmax)"
            )


@dataclass
class TrainResult:
    """Trained vectors and what the run cost."""

    kv: KeyedVectors
    seconds: float
    corpus_words: int
    """tokens in one pass over the corpus"""
    processed_words: int
    """tokens read over all epochs (before frequent-word down-sampling)"""
    trained_words: int
    """tokens actually trained on over all epochs (after min_count and down-sampling)"""

    @property
    def words_per_second(self) -> float:
        return self.processed_words / max(self.seconds, 1e-9)

    def summary(self) -> str:
        return (
            f"{len(self.kv.index_to_key):,} words x {self.kv.vector_size} dims; "
            f"{self.corpus_words:,} corpus tokens; trained in {self.seconds:.1f} s "
            f"({self.words_per_second:,.0f} words/s)"
        )


class _EpochProgress(CallbackAny2Vec):
    """A tqdm bar that advances once per epoch."""

    def __init__(self, epochs: int, enabled: bool):
        from tqdm.auto import tqdm  # a widget in Jupyter, text in a terminal

        self.bar = tqdm(total=epochs, desc="word2vec", unit="epoch", disable=not enabled)

    def on_epoch_end(self, model: Word2Vec) -> None:
        self.bar.update(1)

    def on_train_end(self, model: Word2Vec) -> None:
        self.bar.close()


def train_word2vec(
    corpus: str | os.PathLike | LineCorpus,
    config: Word2VecConfig | None = None,
    lowercase: bool = False,
    split: str = "regex",
    *,
    progress: bool = True,
) -> TrainResult:
    """Train on a one-sentence-per-line file (or a :class:`LineCorpus`); returns the vectors.

    ``lowercase`` and ``split`` configure the :class:`WordTokenizer` of a file corpus.
    """
    config = config or Word2VecConfig()
    if not isinstance(corpus, LineCorpus):
        corpus = LineCorpus(corpus, lowercase=lowercase, split=split)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    model = Word2Vec(
        vector_size=config.dim,
        window=config.window,
        min_count=config.min_count,
        sg=int(config.sg),
        hs=int(config.hs),
        negative=0 if config.hs else config.negative,
        workers=config.workers,
        seed=config.seed,
        sample=config.sample,
    )
    model.build_vocab(corpus)
    _check_vocab(model, corpus.path, config.min_count)
    start = time.perf_counter()
    trained, processed = model.train(
        corpus,
        total_examples=model.corpus_count,
        total_words=model.corpus_total_words,
        epochs=config.epochs,
        callbacks=[_EpochProgress(config.epochs, progress)],
    )
    seconds = time.perf_counter() - start
    return TrainResult(model.wv, seconds, model.corpus_total_words, processed, trained)


def _check_vocab(model: Word2Vec, path: Path, min_count: int) -> None:
    if model.corpus_total_words == 0:
        raise SeqlabError(f"{path}: the corpus has no tokens to train on")
    if len(model.wv.index_to_key) == 0:
        raise SeqlabError(
            f"{path}: no word occurs {min_count} times in {model.corpus_total_words} tokens; "
            "lower --min-count"
        )


def output_paths(out: str | os.PathLike, binary: bool = False) -> dict[str, Path]:
    """The files :func:`save_trained` writes, by format.

    ``OUT.safetensors`` (seqlab's own format, no pickle), ``OUT.txt`` (word2vec text) and, with
    ``binary``, ``OUT.bin`` (word2vec binary). A suffix ``.safetensors``, ``.kv``, ``.txt`` or
    ``.bin`` on ``out`` is dropped first, so ``--out vec.safetensors`` works.
    """
    stem = Path(out)
    if stem.suffix in (".safetensors", ".kv", ".txt", ".bin"):
        stem = stem.with_suffix("")
    paths = {
        "safetensors": stem.with_name(stem.name + ".safetensors"),
        "word2vec": stem.with_name(stem.name + ".txt"),
    }
    if binary:
        paths["word2vec-binary"] = stem.with_name(stem.name + ".bin")
    return paths


def save_trained(kv: KeyedVectors, out: str | os.PathLike, binary: bool = False) -> list[Path]:
    """Write the ``.safetensors`` vectors and word2vec text (and binary on request)."""
    return [save_vectors(kv, p, fmt) for fmt, p in output_paths(out, binary).items()]
