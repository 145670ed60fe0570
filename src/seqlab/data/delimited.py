"""Labelled texts in delimited files (TSV/CSV-like), and a seeded stratified split.

One example per line; the label and the text sit in configurable columns::

    ham<TAB>Ok lar... Joking wif u oni...          (SMS spam: label 0, text 1, no header)
    sentence<TAB>label                              (SST-2: a header names the columns)
    kids , spirit<TAB>1

A column is an index (0-based, negative counts from the end) or, for files with a header, a
column name. Lines are split on the delimiter only (no quoting rules), so quotes in the text
stay as they are. Every problem is a one-line error naming the file and the line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from seqlab.data.io import iter_lines
from seqlab.errors import SeqlabError


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str
    line: int  # 1-based line number in the file
    raw: str  # the original line, to write a split back out unchanged


def _column_index(column: int | str, header: list[str] | None, path: str) -> int:
    if isinstance(column, int):
        return column
    if header is None:
        raise SeqlabError(f"{path}: column {column!r} is a name, but the file has no header")
    if column not in header:
        raise SeqlabError(f"{path}:1: no column named {column!r}; the header has {header}")
    return header.index(column)


def _field(fields: list[str], index: int, what: str, path: str, lineno: int) -> str:
    if not -len(fields) <= index < len(fields):
        raise SeqlabError(
            f"{path}:{lineno}: {what} column {index} is out of range: the line has "
            f"{len(fields)} column(s); check the delimiter and the column settings"
        )
    return fields[index]


def read_delimited(
    path: str,
    *,
    label_column: int | str = 0,
    text_column: int | str = 1,
    delimiter: str = "\t",
    header: bool = False,
    encoding: str = "utf-8",
) -> list[LabelledText]:
    """Read every non-blank line as (text, label). Errors name ``path:line``."""
    examples: list[LabelledText] = []
    names: list[str] | None = None
    label_index = text_index = 0
    for lineno, line in enumerate(iter_lines(path, encoding, what="data file"), start=1):
        if not line.strip():
            continue
        fields = line.split(delimiter)
        if header and names is None:
            names = [f.strip() for f in fields]
            label_index = _column_index(label_column, names, path)
            text_index = _column_index(text_column, names, path)
            continue
        if names is None:
            label_index = _column_index(label_column, None, path)
            text_index = _column_index(text_column, None, path)
            names = []
        label = _field(fields, label_index, "label", path, lineno).strip()
        text = _field(fields, text_index, "text", path, lineno).strip()
        if not label:
            raise SeqlabError(f"{path}:{lineno}: the label (column {label_index}) is empty")
        examples.append(LabelledText(text, label, lineno, line))
    if not examples:
        raise SeqlabError(f"{path}: no examples (only a header or blank lines)")
    return examples


def stratified_split(
    labels: Sequence[str], fractions: Sequence[float], seed: int
) -> list[list[int]]:
    """Split indices into ``len(fractions) + 1`` parts keeping each label's share.

    ``fractions`` are the sizes of the held-out parts (e.g. ``(0.1, 0.1)`` gives train 80%,
    valid 10%, test 10%); the first part gets the rest. Each label's examples are shuffled with
    a generator seeded by ``seed``, so the split is the same on every run and machine.
    """
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    gen = torch.Generator().manual_seed(seed)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in sorted(by_label):
        items = by_label[label]
        order = [items[j] for j in torch.randperm(len(items), generator=gen).tolist()]
        start = 0
        for k, fraction in enumerate(fractions, start=1):
            take = round(len(items) * fraction)
            parts[k].extend(order[start : start + take])
            start += take
        parts[0].extend(order[start:])
    return [sorted(p) for p in parts]
