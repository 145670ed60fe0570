"""Reading user files safely: every failure is a one-line ``SeqlabError``.

Plain and ``.gz`` files are both accepted. Decoding errors name the file, the line and the byte
offset, and suggest ``--encoding``. Text comes out in Unicode NFC
(:func:`~seqlab.data.normalize.nfc`): decomposed Hangul jamo are read as the syllables they spell.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

from seqlab.data.normalize import nfc
from seqlab.errors import SeqlabError


def check_file(path: str | os.PathLike, what: str = "file") -> Path:
    """Return ``path`` as a Path if it is a readable, non-empty regular file."""
    p = Path(path)
    if not p.exists():
        raise SeqlabError(f"{p}: no such {what}")
    if p.is_dir():
        raise SeqlabError(f"{p}: is a directory, expected a {what}")
    if p.stat().st_size == 0:
        raise SeqlabError(f"{p}: the {what} is empty")
    return p


def _open_bytes(p: Path):
    return gzip.open(p, "rb") if p.suffix == ".gz" else open(p, "rb")


def _decode_line(raw: bytes, p: Path, lineno: int, offset: int, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise SeqlabError(
            f"{p}:{lineno}: invalid {encoding} at byte {offset + e.start} "
            f"(byte 0x{raw[e.start]:02x}); if the file is not {encoding}, give its encoding "
            "(--encoding, or data.encoding in a config)"
        ) from None
    except LookupError:
        raise SeqlabError(f"unknown encoding {encoding!r}") from None


def iter_lines(
    path: str | os.PathLike, encoding: str = "utf-8", what: str = "file"
) -> Iterator[str]:
    """Yield the lines of a text file without their line endings."""
    p = check_file(path, what)
    offset = 0
    try:
        with _open_bytes(p) as f:
            for lineno, raw in enumerate(f, start=1):
                text = _decode_line(raw, p, lineno, offset, encoding)
                offset += len(raw)
                yield nfc(text.rstrip("\r\n"))
    except (OSError, EOFError) as e:
        if isinstance(e, gzip.BadGzipFile) or isinstance(e, EOFError):
            raise SeqlabError(f"{p}: not a valid gzip file ({e})") from None
        raise SeqlabError(f"{p}: cannot read ({e.strerror or e})") from None


def read_text(path: str | os.PathLike, encoding: str = "utf-8", what: str = "file") -> str:
    """Read a whole text file, keeping its newlines."""
    p = check_file(path, what)
    try:
        with _open_bytes(p) as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise SeqlabError(f"{p}: cannot read ({e})") from None
    try:
        return nfc(data.decode(encoding))
    except UnicodeDecodeError as e:
        lineno = data.count(b"\n", 0, e.start) + 1
        raise SeqlabError(
            f"{p}:{lineno}: invalid {encoding} at byte {e.start} "
            f"(byte 0x{data[e.start]:02x}); if the file is not {encoding}, give its encoding "
            "(--encoding, or data.encoding in a config)"
        ) from None
    except LookupError:
        raise SeqlabError(f"unknown encoding {encoding!r}") from None
    # (a file that is all whitespace is still "text"; callers check token counts)


def shown_path(path: str | os.PathLike) -> str:
    """``path`` as a report should show it: relative to the working directory when it lies
    there or beside it (``../shared/data/...``), so that a document names no folder of the
    machine that wrote it; anything further away as it was given."""
    text = os.fspath(path)
    if not os.path.isabs(text):
        return text
    relative = os.path.relpath(text)
    return relative if not relative.startswith(os.path.join("..", "..")) else text
