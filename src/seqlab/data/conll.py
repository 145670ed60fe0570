"""CoNLL-style tagged sentences, and the IOB1 / BIO tag schemes.

One token per line, columns separated by whitespace, a blank line between sentences::

    EU NNP I-NP I-ORG            (CoNLL-03: token POS chunk NER; tag column -1)
    rejects VBZ I-VP O
    -DOCSTART- -X- -X- O         (document separators are skipped)

Entity tags come in two schemes:

    BIO   B-X starts every entity, I-X continues it:       B-PER I-PER O B-LOC
    IOB1  I-X everywhere; B-X only where an entity starts   I-PER I-PER O I-LOC
          right after another of the same type:             I-PER B-PER  (two people)

``iob1_to_bio`` rewrites IOB1 as BIO. In BIO an I-X must follow B-X or I-X of the same type;
``bio_problems`` lists the positions that break this and ``repair_bio`` turns each such I-X
into B-X (which is what the conlleval script assumes).

A tagger may also learn IOBES (BIOES), which marks where an entity ends and which entities are
a single token, as Lample et al. (2016) and NCRF++ do; files are still read and written as BIO:

    BIO    B-PER I-PER O B-LOC         IOBES  B-PER E-PER O S-LOC
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.data.io import iter_lines
from seqlab.errors import SeqlabError

DOCSTART = "-DOCSTART-"
SCHEMES = ("bio", "iob1")
TAG_ENCODINGS = ("bio", "iobes")


@dataclass(frozen=True)
class TaggedSentence:
    tokens: list[str]
    tags: list[str]
    line: int  # 1-based line of the first token


def _split_tag(tag: str) -> tuple[str, str]:
    """ "B-PER" -> ("B", "PER"); "O" -> ("O", "")."""
    if tag == "O":
        return "O", ""
    return tag[0], tag[2:]


def check_tag(tag: str) -> bool:
    """True for O, B-X and I-X (X non-empty)."""
    return tag == "O" or (len(tag) > 2 and tag[0] in "BI" and tag[1] == "-")


def iob1_to_bio(tags: list[str]) -> list[str]:
    """Rewrite IOB1 tags as BIO: an I-X that does not continue an X entity becomes B-X."""
    out = []
    prev = "O"
    for tag in tags:
        prefix, kind = _split_tag(tag)
        if prefix == "I" and (prev == "O" or _split_tag(prev)[1] != kind):
            tag = f"B-{kind}"
        out.append(tag)
        prev = tag
    return out


def bio_problems(tags: list[str]) -> list[tuple[int, str]]:
    """(position, message) for every I-X that does not follow B-X or I-X of type X."""
    problems = []
    prev = "O"
    for i, tag in enumerate(tags):
        prefix, kind = _split_tag(tag)
        if prefix == "I" and (prev == "O" or _split_tag(prev)[1] != kind):
            problems.append((i, f"{tag} after {prev}"))
        prev = tag
    return problems


def repair_bio(tags: list[str]) -> list[str]:
    """Turn each I-X that starts an entity into B-X (the same rule as IOB1 -> BIO)."""
    return iob1_to_bio(tags)


def _finish(
    tokens: list[str], tags: list[str], start: int, path: str, scheme: str, bad_tags: str
) -> TaggedSentence:
    if scheme == "iob1":
        tags = iob1_to_bio(tags)
    else:
        problems = bio_problems(tags)
        if problems and bad_tags == "error":
            pos, what = problems[0]
            raise SeqlabError(
                f"{path}:{start + pos}: tag sequence breaks BIO at token {pos + 1} ({what}); "
                "set data.bad_tags=repair to turn such I- tags into B-, or data.scheme=iob1"
            )
        tags = repair_bio(tags)
    return TaggedSentence(tokens, tags, start)


def _check_columns(where: str, width: int, token_column: int, tag_column: int) -> None:
    for what, col in (("token", token_column), ("tag", tag_column)):
        if not -width <= col < width:
            raise SeqlabError(
                f"{where}: {what} column {col} is out of range for a line of {width} column(s)"
            )


def read_conll(
    path: str,
    *,
    token_column: int = 0,
    tag_column: int = -1,
    scheme: str = "bio",
    bad_tags: str = "repair",
    encoding: str = "utf-8",
) -> list[TaggedSentence]:
    """Read sentences; every line of the file must have the same number of columns.

    ``scheme`` is the file's tag scheme ("bio" or "iob1"); tags always come back as BIO.
    ``bad_tags`` ("repair" or "error") says what to do with a BIO file's broken sequences.
    """
    sentences: list[TaggedSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    width = None
    for lineno, line in enumerate(iter_lines(path, encoding, what="CoNLL file"), start=1):
        fields = line.split()
        if not fields:
            if tokens:
                sentences.append(_finish(tokens, tags, start, path, scheme, bad_tags))
                tokens, tags = [], []
            continue
        if width is None:
            width = len(fields)
            _check_columns(f"{path}:{lineno}", width, token_column, tag_column)
        if len(fields) != width:
            raise SeqlabError(
                f"{path}:{lineno}: {len(fields)} column(s), expected {width} like the first "
                "line (a token without its tag, or a space inside a token?)"
            )
        if fields[token_column] == DOCSTART:
            continue
        tag = fields[tag_column]
        if not check_tag(tag):
            raise SeqlabError(f"{path}:{lineno}: tag {tag!r} is not O, B-TYPE or I-TYPE")
        if not tokens:
            start = lineno
        tokens.append(fields[token_column])
        tags.append(tag)
    if tokens:
        sentences.append(_finish(tokens, tags, start, path, scheme, bad_tags))
    if not sentences:
        raise SeqlabError(f"{path}: no sentences found")
    return sentences


def bio_to_iobes(tags: list[str]) -> list[str]:
    """BIO -> IOBES: an entity's last token is E-X (S-X when the entity is one token long)."""
    out = []
    for i, tag in enumerate(tags):
        prefix, kind = _split_tag(tag)
        following = tags[i + 1] if i + 1 < len(tags) else "O"
        ends = following != f"I-{kind}"
        if prefix == "B":
            out.append(f"S-{kind}" if ends else tag)
        elif prefix == "I":
            out.append(f"E-{kind}" if ends else tag)
        else:
            out.append(tag)
    return out


def iobes_to_bio(tags: list[str]) -> list[str]:
    """IOBES -> BIO, for any sequence a model predicts: S-X is B-X and E-X is I-X, so an
    ill-formed sequence becomes ill-formed BIO, which :func:`entity_spans` reads as conlleval."""
    swap = {"S": "B", "E": "I"}
    return [f"{swap.get(t[0], t[0])}{t[1:]}" if t != "O" else t for t in tags]


def entity_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """BIO tags -> (type, start, end) spans, ``end`` exclusive; a stray I-X starts a span."""
    spans = []
    kind, start = "", -1
    for i, tag in enumerate([*tags, "O"]):
        prefix, k = _split_tag(tag)
        if kind and (prefix != "I" or k != kind):
            spans.append((kind, start, i))
            kind = ""
        if prefix == "B" or (prefix == "I" and not kind):
            kind, start = k, i
    return spans
