"""Word vectors on disk: read and write the common formats as gensim ``KeyedVectors``.

    safetensors       seqlab's own: the matrix and the words in one ``.safetensors`` file
                      (see :mod:`seqlab.data.vectors_native`); what ``seqlab embed train`` writes
    word2vec          text; a header line ``N D``, then ``word v1 ... vD`` per line
    word2vec-binary   the header line, then per word ``word<space>`` and D float32 (little endian)
    glove             text like word2vec but with no header line
    kv                gensim ``KeyedVectors.save``: a Python pickle, read only with
                      ``trust_pickle=True`` (``--trust-pickle``; ``embedding.trust_pickle``)

No file a user hands seqlab may run code. Unpickling runs whatever the file asks for, so a
``.kv`` file, or any file that starts like a pickle (byte 0x80) whatever its name, is refused
with one line saying how to opt in or to convert it (``seqlab embed convert``). The format is
decided from the first bytes before the name, and no reader but the opted-in ``kv`` one ever
unpickles, so a pickle renamed ``.txt`` or ``.bin`` is an error, never a load.

The text and binary readers are seqlab's own, so that a damaged file fails with one line naming
the file and the line (or, for binary, the vector and byte offset): rows with the wrong number of
values, a header that disagrees with its rows, a file that is not vectors at all. ``.gz`` text
and binary files are read transparently.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from seqlab.data.glove_package import is_named_source, read_named_source
from seqlab.data.io import check_file, iter_lines
from seqlab.data.vectors_native import NATIVE_SUFFIX, looks_native, read_native, save_native
from seqlab.errors import SeqlabError

log = logging.getLogger(__name__)

FORMATS = ("safetensors", "word2vec", "word2vec-binary", "glove", "kv")
_SUFFIX_FORMATS = {
    NATIVE_SUFFIX: "safetensors",
    ".kv": "kv",
    ".bin": "word2vec-binary",
    ".txt": "word2vec",
    ".vec": "word2vec",
}
_PICKLE_BYTE = b"\x80"  # the first byte of every pickle of protocol 2 or later (gensim uses 4)
_HEADER_RE = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")
_TEXT_NUMBER_BYTES = frozenset(b"0123456789.-+eEinfaINFA \t\r\n")
_MAX_WORD_BYTES = 10_000  # a longer "word" in a binary file means the file is not word2vec


def _open_bytes(p: Path):
    return gzip.open(p, "rb") if p.suffix == ".gz" else open(p, "rb")


def _plain_suffix(p: Path) -> str:
    return Path(p.stem).suffix if p.suffix == ".gz" else p.suffix


def detect_format(path: str | os.PathLike) -> str:
    """Guess the format of a vectors file from its first bytes, then its suffix.

    Returns ``"kv"`` for a pickle (a ``.kv`` file, or any file whose first byte is 0x80)
    without reading it further: :func:`load_vectors` decides whether it may be unpickled.
    """
    p = check_file(path, "vectors file")
    try:
        with _open_bytes(p) as f:
            head = f.read(65536)
    except (OSError, EOFError) as e:
        raise SeqlabError(f"{p}: cannot read ({e})") from None
    if p.suffix != ".gz" and looks_native(head, p.stat().st_size):
        return "safetensors"
    if _plain_suffix(p) == ".kv" or head[:1] == _PICKLE_BYTE:
        return "kv"
    if _plain_suffix(p) == NATIVE_SUFFIX:
        raise SeqlabError(
            f"{p}: not a safetensors file (it should start with an 8-byte header length and "
            "'{'); write seqlab word vectors with 'seqlab embed train' or 'seqlab embed convert'"
        )
    return _detect_text_format(p, head)


def _detect_text_format(p: Path, head: bytes) -> str:
    if not head.strip():
        raise SeqlabError(f"{p}: no vectors in the file (only blank lines)")
    first, _, rest = head.partition(b"\n")
    header = _HEADER_RE.match(first)
    if header:
        if _plain_suffix(p) == ".bin":
            return "word2vec-binary"
        # a text row is the word and numbers; D random float32s almost never look like that
        values = rest.partition(b" ")[2].split(b"\n")[0]
        is_text = bool(values.strip()) and set(values) <= _TEXT_NUMBER_BYTES
        return "word2vec" if is_text else "word2vec-binary"
    try:
        parts = first.decode("utf-8").rstrip().split(" ")
        [float(v) for v in parts[1:]]
        if len(parts) >= 2:
            return "glove"
    except (UnicodeDecodeError, ValueError):
        pass
    raise SeqlabError(
        f"{p}:1: not a vectors file: expected a word2vec header 'N D' or a row "
        f"'word v1 v2 ...' (formats: {', '.join(FORMATS)})"
    )


def load_vectors(
    path: str | os.PathLike,
    fmt: str = "auto",
    encoding: str = "utf-8",
    limit: int | None = None,
    *,
    trust_pickle: bool = False,
) -> KeyedVectors:
    """Read word vectors; ``fmt`` is one of :data:`FORMATS` or ``"auto"``.

    ``limit`` keeps only the first ``limit`` vectors (all formats but ``kv``), which also skips
    the check that a word2vec header's count matches the rows. A gensim pickle (format ``kv``)
    is refused with a :class:`SeqlabError` unless ``trust_pickle``: unpickling can run code.
    ``path`` may also name packaged vectors (``glove-6b-50d``) with ``fmt`` auto.
    """
    if fmt == "auto" and is_named_source(path):
        words, matrix = read_named_source(str(path))
        return _to_keyed_vectors(Path(path), words[:limit], matrix[:limit])
    if fmt == "auto":
        fmt = detect_format(path)
    p = check_file(path, "vectors file")
    if fmt == "kv":
        if not trust_pickle:
            raise SeqlabError(_pickle_refusal(p))
        return _load_kv(p)
    if fmt == "safetensors":
        words, matrix = read_native(p)
        words, matrix = words[:limit], matrix[:limit]
    elif fmt == "word2vec-binary":
        words, rows = _read_binary(p, limit)
        matrix = _stack(rows)
    elif fmt in ("word2vec", "glove"):
        words, rows = _read_text(p, fmt == "word2vec", encoding, limit)
        matrix = _stack(rows)
    else:
        raise SeqlabError(f"unknown vectors format {fmt!r}; expected auto, {', '.join(FORMATS)}")
    return _to_keyed_vectors(p, words, matrix)


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _pickle_refusal(p: Path) -> str:
    """The one-line reason a pickle is not read, and the two ways forward."""
    if _plain_suffix(p) == ".kv":
        what = "a gensim .kv file is a Python pickle"
    elif _first_byte(p) == _PICKLE_BYTE:
        what = "this file is a Python pickle (first byte 0x80), not the vectors its name suggests"
    else:
        what = "format 'kv' means a gensim pickle"
    return (
        f"{p}: {what}; loading a pickle can run any code, so seqlab reads one only if you "
        "trust it: pass --trust-pickle (embedding.trust_pickle: true in a model config), or "
        f"convert it once with 'seqlab embed convert {p} --out VECS.safetensors --trust-pickle'"
    )


def _first_byte(p: Path) -> bytes:
    try:
        with _open_bytes(p) as f:
            return f.read(1)
    except (OSError, EOFError):
        return b""


def _load_kv(p: Path) -> KeyedVectors:
    """Unpickle gensim vectors: only ever called after the caller opted in (trust_pickle)."""
    try:
        obj = KeyedVectors.load(str(p))
    except Exception as e:  # pickle and numpy raise many kinds of errors
        raise SeqlabError(
            f"{p}: not a gensim KeyedVectors file ({type(e).__name__}: {e})"
        ) from None
    kv = getattr(obj, "wv", obj)  # a whole Word2Vec model saved with .save() also works
    if not isinstance(kv, KeyedVectors):
        raise SeqlabError(f"{p}: holds a {type(obj).__name__}, not gensim KeyedVectors")
    return kv


def _to_keyed_vectors(p: Path, words: list[str], matrix: np.ndarray) -> KeyedVectors:
    """``words`` and their rows ``matrix`` (N, D) as KeyedVectors; the first of duplicates wins."""
    if not words:
        raise SeqlabError(f"{p}: no vectors in the file")
    kv = KeyedVectors(vector_size=matrix.shape[1], count=0, dtype=np.float32)
    seen: dict[str, int] = {}
    keep = []
    for i, w in enumerate(words):
        if w not in seen:
            seen[w] = i
            keep.append(i)
    if len(keep) < len(words):
        log.warning(
            "%s: %d duplicate words; kept the first vector of each", p, len(words) - len(keep)
        )
        words, matrix = [words[i] for i in keep], matrix[keep]
    kv.add_vectors(words, matrix)
    return kv


def _parse_header(line: str, p: Path) -> tuple[int, int]:
    m = _HEADER_RE.match(line.encode("utf-8", "replace"))
    if not m:
        raise SeqlabError(
            f"{p}:1: expected a word2vec header 'N D' (count and dimension), got {line[:40]!r}; "
            "use format 'glove' for files without a header"
        )
    n, dim = int(m.group(1)), int(m.group(2))
    if dim == 0:
        raise SeqlabError(f"{p}:1: the header says the vectors have dimension 0")
    return n, dim


def _read_text(
    p: Path, has_header: bool, encoding: str, limit: int | None
) -> tuple[list[str], list[np.ndarray]]:
    words: list[str] = []
    rows: list[np.ndarray] = []
    count, dim, dim_line = None, None, 0
    for lineno, line in enumerate(iter_lines(p, encoding, "vectors file"), start=1):
        if lineno == 1 and has_header:
            count, dim = _parse_header(line, p)
            dim_line = 1
            continue
        if not line.strip():
            continue
        if limit is not None and len(words) >= limit:
            break
        parts = line.rstrip().split(" ")
        word, values = parts[0], parts[1:]
        try:
            row = np.array(values, dtype=np.float32)
        except ValueError:
            if not words:
                raise SeqlabError(
                    f"{p}:{lineno}: not a vectors file: expected 'word v1 v2 ...' with numbers, "
                    f"got {line[:40]!r}"
                ) from None
            bad = next(v for v in values if not _is_number(v))
            raise SeqlabError(f"{p}:{lineno}: value {bad!r} for {word!r} is not a number") from None
        if dim is None:
            if len(values) == 0:
                raise SeqlabError(f"{p}:{lineno}: not a vectors file: {word!r} has no values")
            dim, dim_line = len(values), lineno
        elif len(values) != dim:
            where = "the header (line 1)" if has_header else f"line {dim_line}"
            raise SeqlabError(
                f"{p}:{lineno}: {word!r} has {len(values)} values, expected {dim} as in {where}"
            )
        words.append(word)
        rows.append(row)
    if count is not None and limit is None and len(words) != count:
        raise SeqlabError(f"{p}:1: the header says {count} vectors but the file has {len(words)}")
    return words, rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_binary(p: Path, limit: int | None) -> tuple[list[str], list[np.ndarray]]:
    words: list[str] = []
    rows: list[np.ndarray] = []
    try:
        with _open_bytes(p) as f:
            header = f.readline()
            count, dim = _parse_header(header.decode("utf-8", "replace").rstrip("\r\n"), p)
            n = count if limit is None else min(count, limit)
            for i in range(n):
                words.append(_read_binary_word(f, p, i, count))
                data = f.read(4 * dim)
                if len(data) < 4 * dim:
                    raise SeqlabError(
                        f"{p}: the file ends inside vector {i + 1} ({words[-1]!r}) but the header "
                        f"says {count} vectors of dimension {dim}"
                    )
                rows.append(np.frombuffer(data, dtype="<f4").astype(np.float32))
            if limit is None:
                extra = f.read(4096).strip()
                if extra:
                    raise SeqlabError(
                        f"{p}: the header says {count} vectors but more data follows vector {count}"
                    )
    except (OSError, EOFError) as e:
        raise SeqlabError(f"{p}: cannot read ({e})") from None
    return words, rows


def _read_binary_word(f, p: Path, i: int, count: int) -> str:
    chars = bytearray()
    while True:
        ch = f.read(1)
        if not ch:
            raise SeqlabError(f"{p}: the file ends at vector {i + 1} but the header says {count}")
        if ch == b" ":
            break
        if ch != b"\n" or chars:  # the C tool writes a newline after each vector
            chars += ch
        if len(chars) > _MAX_WORD_BYTES:
            raise SeqlabError(f"{p}: vector {i + 1} has no word: not a word2vec binary file")
    try:
        return chars.decode("utf-8")
    except UnicodeDecodeError:
        raise SeqlabError(f"{p}: the word of vector {i + 1} is not valid UTF-8") from None


def save_vectors(kv: KeyedVectors, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write ``kv`` in ``fmt``; without ``fmt`` the suffix decides (.safetensors .kv .bin .txt)."""
    p = Path(path)
    fmt = fmt or _SUFFIX_FORMATS.get(p.suffix)
    if fmt not in FORMATS:
        raise SeqlabError(
            f"{p}: say which format to write ({', '.join(FORMATS)}) or use a suffix "
            ".safetensors .txt .bin .kv"
        )
    p.parent.mkdir(parents=True, exist_ok=True)
    vectors = np.asarray(kv.vectors, dtype=np.float32)  # (N, D)
    if fmt == "safetensors":
        return save_native(list(kv.index_to_key), vectors, p)
    if fmt == "kv":
        kv.save(str(p))
        return p
    with open(p, "wb") as f:
        if fmt != "glove":
            f.write(f"{len(kv.index_to_key)} {kv.vector_size}\n".encode())
        for word, row in zip(kv.index_to_key, vectors, strict=True):
            if fmt == "word2vec-binary":
                f.write(f"{word} ".encode() + row.astype("<f4").tobytes())
            else:  # 9 significant digits round-trip any float32 exactly
                f.write(f"{word} {' '.join(f'{v:.9g}' for v in row.tolist())}\n".encode())
    return p


def convert_vectors(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    fmt: str = "auto",
    to: str | None = None,
    trust_pickle: bool = False,
) -> Path:
    """Read ``source`` (format ``fmt``) and write it to ``out`` (format ``to``, else its suffix).

    The way to turn a trusted gensim ``.kv`` pickle into a ``.safetensors`` file once, so that
    nothing needs ``trust_pickle`` afterwards.
    """
    kv = load_vectors(source, fmt, trust_pickle=trust_pickle)
    return save_vectors(kv, out, to)
