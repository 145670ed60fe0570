"""A run's artifacts: the tokenizers, vocabularies and label sets written beside its checkpoints.

Every task writes them as small JSON files and reads them back through :class:`Artifacts`, so a
run (or export) directory rebuilds the same ids without its data. A file that is not what it
claims (a pickle, a truncated vocabulary, a label set that is not a list) is one line naming it::

    error: runs/lm: cannot read tokenizer/vocabulary file vocab.json (expected a JSON object)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from seqlab.data.tokenizers import Tokenizer, tokenizer_from_dict
from seqlab.data.vocab import Vocab
from seqlab.errors import SeqlabError

T = TypeVar("T")


class Artifacts:
    """The artifact files of run directory ``run_dir``: written as JSON, read back checked."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)

    # -- writing -------------------------------------------------------------------------------
    def write(self, name: str, data: Any) -> None:
        """``data`` (JSON-ready) as file ``name``."""
        text = json.dumps(data, ensure_ascii=False)
        (self.run_dir / name).write_text(text, encoding="utf-8")

    def write_text_side(self, prefix: str, tokenizer: Tokenizer, vocab: Vocab) -> None:
        """``{prefix}tokenizer.json`` and ``{prefix}vocab.json``."""
        self.write(f"{prefix}tokenizer.json", tokenizer.to_dict())
        self.write(f"{prefix}vocab.json", vocab.to_dict())

    # -- reading -------------------------------------------------------------------------------
    def read(self, name: str, build: Callable[[Any], T] = lambda data: data) -> T:
        """``build`` applied to the JSON of file ``name``; any problem is one line naming it."""
        return self.read_text(name, lambda text: build(json.loads(text)))

    def read_text(self, name: str, build: Callable[[str], T] = lambda text: text) -> T:
        try:
            return build((self.run_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError, SeqlabError) as e:
            raise SeqlabError(
                f"{self.run_dir}: cannot read tokenizer/vocabulary file {name} ({e})"
            ) from None

    def tokenizer(self, name: str = "tokenizer.json") -> Tokenizer:
        return self.read(name, tokenizer_from_dict)

    def vocab(self, name: str = "vocab.json") -> Vocab:
        return self.read(name, Vocab.from_dict)

    def text_side(self, prefix: str = "") -> tuple[Tokenizer, Vocab]:
        """The tokenizer and vocabulary :meth:`write_text_side` wrote."""
        return self.tokenizer(f"{prefix}tokenizer.json"), self.vocab(f"{prefix}vocab.json")


def labels(value: Any) -> list[str]:
    """A label (or tag) set read from JSON: a list of distinct strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of label names")
    if len(set(value)) != len(value):
        raise ValueError("a label name is repeated")
    return value


def artifact_names(run_dir: Path) -> list[str]:
    """The artifact files of a run directory: its top-level JSON files (tokenizers,
    vocabularies, label sets), sorted."""
    return sorted(p.name for p in Path(run_dir).glob("*.json") if p.is_file())


def check_same_vocabularies(first: Path, other: Path) -> None:
    """A one-line error unless run directories ``first`` and ``other`` hold the same
    tokenizers, vocabularies and label sets (byte for byte), so that an id means one word."""
    names = artifact_names(first)
    if artifact_names(other) != names:
        raise SeqlabError(
            f"{other}: its vocabulary files ({', '.join(artifact_names(other))}) are not those of "
            f"{first} ({', '.join(names)}); models must share their vocabularies"
        )
    for name in names:
        if (Path(first) / name).read_bytes() != (Path(other) / name).read_bytes():
            raise SeqlabError(
                f"{other}: {name} differs from {Path(first) / name}; models must share their "
                "tokenizers, vocabularies and label sets"
            )
