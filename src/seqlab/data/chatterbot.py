"""Question/answer pairs from the ``chatterbot-corpus`` package (installed with seqlab).

Each ``chatterbot_corpus/data/<language>/*.yml`` file holds ``conversations:``, a list of
conversations, each a list of turns. Every two consecutive turns make one (question, answer)
pair, so a conversation ``[a, b, c]`` gives ``(a, b)`` and ``(b, c)``. English has 2,393 pairs,
Korean 696. Turns are normalized to NFC.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from seqlab.data.normalize import nfc
from seqlab.errors import SeqlabError

PREFIX = "chatterbot:"


def corpus_dir(language: str = "english") -> Path:
    try:
        import chatterbot_corpus
    except ImportError:
        raise SeqlabError(
            "the chatterbot corpus is not installed; pip install chatterbot-corpus"
        ) from None
    root = Path(chatterbot_corpus.__file__).parent / "data"
    path = root / language
    if not path.is_dir():
        languages = ", ".join(sorted(p.name for p in root.iterdir() if p.is_dir()))
        raise SeqlabError(
            f"chatterbot corpus: no language {language!r}; expected one of {languages}"
        )
    return path


def chatterbot_pairs(language: str = "english") -> list[tuple[str, str]]:
    """All consecutive-turn pairs of one language, files in name order."""
    pairs = []
    for path in sorted(corpus_dir(language).glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise SeqlabError(f"{path}: cannot read the conversation file ({e})") from None
        for turns in data.get("conversations") or []:
            turns = [nfc(str(t)) for t in turns or []]
            pairs.extend(zip(turns[:-1], turns[1:], strict=True))
    return pairs


def is_chatterbot(source: str) -> bool:
    return source.startswith(PREFIX)


def language_of(source: str) -> str:
    """``"chatterbot:english"`` -> ``"english"`` (the default when nothing follows)."""
    return source[len(PREFIX) :] or "english"
