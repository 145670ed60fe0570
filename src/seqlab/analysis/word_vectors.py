"""Looking at word vectors: analogies, word similarity, neighbours, one-hot vs Word2Vec, plots.

The lecture's point in one table (:func:`compare`): one-hot vectors are orthogonal, so the cosine
between any two different words is 0 and "dog" is as far from "cat" as from "car"; Word2Vec
vectors, trained to predict context, put "dog" near "cat".

Evaluation files (defaults: the copies shipped in the gensim wheel, else ``../shared/data``):

    questions-words.txt   ``: section`` lines, then ``a b c d`` ("a is to b as c is to d")
    wordsim353.tsv        ``#`` comment lines, then ``w1<TAB>w2<TAB>human score``
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from seqlab.analysis import plots
from seqlab.data.io import iter_lines
from seqlab.data.vector_lookup import require_words
from seqlab.errors import SeqlabError

_REPO_ROOT = Path(__file__).resolve().parents[3]
MALFORMED_MODES = ("skip", "fail")


def default_eval_file(name: str) -> Path:
    """``questions-words.txt`` or ``wordsim353.tsv`` from gensim's wheel or ``../shared/data``."""
    import gensim

    candidates = [
        Path(gensim.__file__).parent / "test" / "test_data" / name,
        _REPO_ROOT.parent / "shared" / "data" / "word2vec" / name,
        Path("../shared/data/word2vec") / name,
    ]
    for p in candidates:
        if p.is_file():
            return p
    raise SeqlabError(f"cannot find {name} in gensim's test data or ../shared/data/word2vec")


@dataclass
class SectionScore:
    """Analogy results of one section: ``correct`` of ``covered`` (of ``total``) questions."""

    name: str
    correct: int = 0
    covered: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.covered if self.covered else float("nan")

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else float("nan")


@dataclass
class AnalogyResult:
    path: Path
    sections: list[SectionScore]
    malformed: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    """line numbers of the first malformed lines (at most 10)"""

    def aggregate(self, name: str, syntactic: bool | None = None) -> SectionScore:
        """Sum over all sections, or over the syntactic (``gram*``) or semantic ones."""
        out = SectionScore(name)
        for s in self.sections:
            if syntactic is None or s.name.startswith("gram") == syntactic:
                out.correct += s.correct
                out.covered += s.covered
                out.total += s.total
        return out

    @property
    def total(self) -> SectionScore:
        return self.aggregate("total")

    def table(self) -> str:
        """A Markdown table: one row per section, then semantic, syntactic and total."""
        rows = ["| section | accuracy | correct / covered | coverage |", "|---|---|---|---|"]
        extra = [self.aggregate("semantic", False), self.aggregate("syntactic", True), self.total]
        for s in self.sections + extra:
            rows.append(
                f"| {s.name} | {_pct(s.accuracy)} | {s.correct} / {s.covered} | "
                f"{_pct(s.coverage)} of {s.total} |"
            )
        return "\n".join(rows)


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def _malformed(path: Path, lineno: int, why: str, on_malformed: str) -> None:
    if on_malformed == "fail":
        raise SeqlabError(f"{path}:{lineno}: {why}")


def _check_mode(on_malformed: str) -> None:
    if on_malformed not in MALFORMED_MODES:
        raise SeqlabError(f"on_malformed must be 'skip' or 'fail', not {on_malformed!r}")


def read_analogies(
    path: str | os.PathLike, lowercase: bool = True, on_malformed: str = "skip"
) -> tuple[dict[str, list[tuple[str, str, str, str]]], list[int]]:
    """Parse a questions-words file into ``{section: [(a, b, c, d), ...]}`` and malformed lines.

    Questions before any ``: section`` line go to a section called ``questions``.
    """
    _check_mode(on_malformed)
    p = Path(path)
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    bad: list[int] = []
    current = "questions"
    for lineno, line in enumerate(iter_lines(p, what="analogy file"), start=1):
        text = line.strip()
        if not text:
            continue
        if text.startswith(":"):
            current = text[1:].strip()
            if not current:
                _malformed(p, lineno, "a ':' section line without a name", on_malformed)
                bad.append(lineno)
                current = "questions"
            continue
        words = text.lower().split() if lowercase else text.split()
        if len(words) != 4:
            why = f"expected 4 words 'a b c d', got {len(words)}: {text[:60]!r}"
            _malformed(p, lineno, why, on_malformed)
            bad.append(lineno)
            continue
        sections.setdefault(current, []).append(tuple(words))
    if not sections:
        raise SeqlabError(f"{p}: no analogy questions (expected lines 'a b c d')")
    return sections, bad


def evaluate_analogies(
    kv: KeyedVectors,
    path: str | os.PathLike | None = None,
    lowercase: bool = True,
    on_malformed: str = "skip",
    *,
    restrict_vocab: int | None = 300_000,
) -> AnalogyResult:
    """3CosAdd analogy accuracy: ``d`` must be the nearest word to ``b - a + c`` (cosine).

    As in Mikolov et al. and gensim, ``a``, ``b`` and ``c`` are excluded from the answers, and
    only questions whose four words are among the first ``restrict_vocab`` words of ``kv`` (the
    most frequent, for trained vectors) count as covered; accuracy is over covered questions.
    """
    p = Path(path) if path is not None else default_eval_file("questions-words.txt")
    sections, bad = read_analogies(p, lowercase, on_malformed)
    limit = len(kv.index_to_key) if restrict_vocab is None else restrict_vocab
    index = {w: i for w, i in kv.key_to_index.items() if i < limit}
    unit = _unit_rows(kv.vectors[: min(limit, len(kv.index_to_key))])
    scores = []
    for name, questions in sections.items():
        score = SectionScore(name, total=len(questions))
        ids = [[index[w] for w in q] for q in questions if all(w in index for w in q)]
        score.covered = len(ids)
        if ids:
            score.correct = _count_correct(unit, np.array(ids))
        scores.append(score)
    return AnalogyResult(p, scores, len(bad), bad[:10])


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _count_correct(unit: np.ndarray, ids: np.ndarray) -> int:
    """ids: (Q, 4) rows of a, b, c, d; counts questions whose best answer is d."""
    correct = 0
    chunk = max(1, 2**24 // len(unit))  # keeps the (chunk, V) score matrix near 64 MB
    for start in range(0, len(ids), chunk):
        a, b, c, d = ids[start : start + chunk].T
        target = unit[b] - unit[a] + unit[c]  # (Q, E)
        sims = target @ unit.T  # (Q, V); norm of target is the same for all candidates
        rows = np.arange(len(a))
        for col in (a, b, c):
            sims[rows, col] = -np.inf
        correct += int((sims.argmax(axis=1) == d).sum())
    return correct


@dataclass
class SimilarityResult:
    path: Path
    spearman: float
    """Spearman rank correlation between human scores and cosines, on covered pairs"""
    covered: int
    total: int
    malformed: int = 0

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else float("nan")

    def line(self) -> str:
        return (
            f"{self.path.name}: Spearman {self.spearman:.3f} on {self.covered} of {self.total} "
            f"pairs ({_pct(self.coverage)} coverage)"
        )


def _read_pairs(p: Path, on_malformed: str) -> Iterator[tuple[str, str, float] | None]:
    """Yield ``(w1, w2, score)`` per pair line, ``None`` for a skipped malformed line."""
    for lineno, line in enumerate(iter_lines(p, what="similarity file"), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split("\t") if "\t" in text else text.split()
        try:
            w1, w2, score = parts
            pair = (w1.strip(), w2.strip(), float(score))
        except ValueError:
            _malformed(
                p, lineno, f"expected 'word1<TAB>word2<TAB>score', got {text[:60]!r}", on_malformed
            )
            pair = None
        yield pair


def evaluate_similarity(
    kv: KeyedVectors,
    path: str | os.PathLike | None = None,
    lowercase: bool = True,
    on_malformed: str = "skip",
) -> SimilarityResult:
    """Spearman correlation of cosine similarity with human judgements (WordSim-353 format)."""
    from scipy.stats import spearmanr

    _check_mode(on_malformed)
    p = Path(path) if path is not None else default_eval_file("wordsim353.tsv")
    human, model, total, malformed = [], [], 0, 0
    for pair in _read_pairs(p, on_malformed):
        if pair is None:
            malformed += 1
            continue
        total += 1
        w1, w2, score = pair
        if lowercase:
            w1, w2 = w1.lower(), w2.lower()
        if w1 in kv.key_to_index and w2 in kv.key_to_index:
            human.append(score)
            model.append(float(kv.similarity(w1, w2)))
    if total == 0:
        raise SeqlabError(f"{p}: no word pairs (expected lines 'word1<TAB>word2<TAB>score')")
    rho = float(spearmanr(human, model).statistic) if len(human) >= 2 else float("nan")
    return SimilarityResult(p, rho, len(human), total, malformed)


def neighbors(
    kv: KeyedVectors, words: Sequence[str], k: int = 10
) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` nearest words to each word, with their cosine similarity."""
    require_words(kv, words)
    return {w: [(n, float(c)) for n, c in kv.most_similar(w, topn=k)] for w in words}


@dataclass
class Comparison:
    """Cosine similarity matrices of the same words: one-hot vs Word2Vec, each (N, N)."""

    words: list[str]
    one_hot: np.ndarray
    word2vec: np.ndarray

    def table(self) -> str:
        return (
            _matrix("one-hot cosine", self.words, self.one_hot)
            + "\n\n"
            + _matrix("word2vec cosine", self.words, self.word2vec)
        )


def _matrix(title: str, words: list[str], m: np.ndarray) -> str:
    width = max(6, *(len(w) for w in words))
    lines = [title, " " * width + " ".join(f"{w[:width]:>{width}}" for w in words)]
    for w, row in zip(words, m, strict=True):
        lines.append(f"{w[:width]:>{width}}" + " ".join(f"{x:>{width}.2f}" for x in row))
    return "\n".join(lines)


def compare(kv: KeyedVectors, words: Sequence[str]) -> Comparison:
    """One-hot cosine against Word2Vec cosine for ``words`` (the lecture's table)."""
    words = list(words)
    require_words(kv, words)
    ids = np.array([kv.key_to_index[w] for w in words])
    # One-hot vectors over the whole vocabulary are zero outside the words' own coordinates, so
    # keeping only those columns gives the same dot products and norms at a fraction of the size.
    columns = np.unique(ids)
    one_hot = (ids[:, None] == columns[None, :]).astype(np.float32)  # (N, distinct words)
    unit_one_hot = _unit_rows(one_hot)
    unit = _unit_rows(kv.vectors[ids])  # (N, E)
    return Comparison(words, unit_one_hot @ unit_one_hot.T, unit @ unit.T)


def project_2d(vectors: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(N, E) -> (N, 2) by PCA (numpy SVD) or t-SNE (scikit-learn, if installed)."""
    if method == "pca":
        centered = vectors - vectors.mean(axis=0, keepdims=True)
        _, _, vt = np.linalg.svd(centered, full_matrices=False)
        return centered @ vt[:2].T
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise SeqlabError(
                "t-SNE needs scikit-learn (pip install scikit-learn); use --method pca"
            ) from None
        if len(vectors) < 3:
            raise SeqlabError("t-SNE needs at least 3 words")
        perplexity = min(30.0, (len(vectors) - 1) / 3)
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(vectors)
    raise SeqlabError(f"unknown projection {method!r}; expected 'pca' or 'tsne'")


AXIS_NAMES = {"pca": "principal component", "tsne": "t-SNE dimension"}


def draw(kv: KeyedVectors, words: Sequence[str], method: str = "pca") -> plots.Figure:
    """``words`` scattered in 2-D (projected by ``method``), each point labelled with its word."""
    words = list(words)
    if len(words) < 2:
        raise SeqlabError("plot needs at least 2 words")
    require_words(kv, words)
    points = project_2d(np.asarray(kv[words], dtype=np.float64), method)  # (N, 2)
    fig, (ax,) = plots.figure(6, 5)
    name = AXIS_NAMES[method]
    ax.set_xlabel(f"{name} 1")
    ax.set_ylabel(f"{name} 2")
    ax.set_title(f"{len(words)} word vectors projected to 2-D ({method.upper()})")
    plots.labelled_scatter(ax, points, words)
    return fig


def plot(
    kv: KeyedVectors, words: Sequence[str], out_png: str | os.PathLike, method: str = "pca"
) -> Path:
    """Scatter ``words`` in 2-D and save a PNG; returns its path."""
    return plots.save(draw(kv, words, method), out_png)
