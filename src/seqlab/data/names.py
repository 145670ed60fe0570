"""Targets with a condition, for conditional generation (one-to-many).

Two layouts:

    names/Korean.txt, names/Irish.txt, ...   a directory: every ``*.txt`` file is a class (its
                                             file name) and every line a target of that class
    captions.txt + features.npy              one target per line, and a float matrix with one
                                             row per line: the row is the condition (image
                                             features make this a captioner)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqlab.data.io import check_file, iter_lines
from seqlab.errors import SeqlabError


@dataclass(frozen=True)
class Target:
    text: str
    label: str  # the class, or "" when conditions are feature rows
    source: str  # "file:line", for messages


def read_class_dir(directory: str, encoding: str = "utf-8") -> list[Target]:
    """Every non-blank line of every ``*.txt`` in ``directory``, labelled by its file name."""
    root = Path(directory)
    if not root.is_dir():
        raise SeqlabError(f"{root}: not a directory of <class>.txt files")
    files = sorted(root.glob("*.txt"))
    if len(files) < 1:
        raise SeqlabError(f"{root}: no .txt files (one file per class, one target per line)")
    out = []
    for path in files:
        for lineno, line in enumerate(iter_lines(path, encoding, what="target file"), start=1):
            if line.strip():
                out.append(Target(line.strip(), path.stem, f"{path}:{lineno}"))
    return out


def read_targets(path: str, encoding: str = "utf-8") -> list[Target]:
    """One target per line; blank lines are errors, since rows must line up with features."""
    out = []
    for lineno, line in enumerate(iter_lines(path, encoding, what="target file"), start=1):
        if not line.strip():
            raise SeqlabError(
                f"{path}:{lineno}: blank line; every line is a target matching one feature row"
            )
        out.append(Target(line.strip(), "", f"{path}:{lineno}"))
    return out


def load_features(path: str, rows: int | None = None, targets: str = "") -> np.ndarray:
    """A 2-D float32 matrix from a ``.npy`` file; with ``rows``, its row count must match."""
    check_file(path, "feature file")
    try:  # allow_pickle=False: an object array (or a pickle) is refused, never unpickled
        matrix = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise SeqlabError(f"{path}: not a readable .npy matrix ({e})") from None
    if not isinstance(matrix, np.ndarray):  # np.load opens a .npz archive as a lazy NpzFile
        matrix.close()
        raise SeqlabError(f"{path}: a .npz archive, expected a single .npy matrix")
    if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.number):
        raise SeqlabError(
            f"{path}: expected a 2-D numeric matrix (rows x features), got shape {matrix.shape} "
            f"of {matrix.dtype}"
        )
    if rows is not None and matrix.shape[0] != rows:
        raise SeqlabError(
            f"{path}: {matrix.shape[0]} feature rows but {targets or 'the targets'} has "
            f"{rows} lines; there must be one row per target line"
        )
    if not np.isfinite(matrix).all():
        bad = int(np.argwhere(~np.isfinite(matrix))[0][0])
        raise SeqlabError(f"{path}: row {bad} holds NaN or infinity")
    return matrix.astype(np.float32)
