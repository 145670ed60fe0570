"""seqlab's own word-vector format: one safetensors file, with no pickle anywhere.

A ``.safetensors`` file holds three tensors and a little metadata::

    vectors        float32 (N, D)   row i is the vector of word i
    words          uint8   (B,)     the N words in UTF-8, one after another
    word_offsets   int64   (N + 1,) word i is ``words[word_offsets[i]:word_offsets[i + 1]]``
    metadata       {"format": "seqlab-word-vectors", "version": "1"}

Why the words are a tensor, not a JSON file beside the matrix nor a string in the metadata:

- one file: copying ``vecs.safetensors`` (or naming it in ``model.embedding.path``) can never
  separate the vectors from their vocabulary, or pair them with the wrong one;
- no size limit: the safetensors header, where the metadata lives, is capped (the reference
  reader refuses headers over 100 MB) and holds only strings, so a multi-million-word
  vocabulary in the metadata would fail exactly on the large files that matter; a tensor has
  no such cap;
- any word: offsets (rather than a separator) allow every character, spaces and newlines
  included, so any gensim ``KeyedVectors`` round-trips exactly.

Reading parses only the JSON header and raw little-endian numbers, so a crafted file can be
wrong but can never run code. Every check fails with one line naming the file.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

from seqlab.errors import SeqlabError

NATIVE_FORMAT = "seqlab-word-vectors"
NATIVE_VERSION = "1"
NATIVE_SUFFIX = ".safetensors"
_TENSORS = ("vectors", "words", "word_offsets")


def looks_native(head: bytes, size: int) -> bool:
    """Whether the first bytes ``head`` of a ``size``-byte file are a safetensors header.

    A safetensors file starts with the header length (u64, little endian) and then ``{``.
    """
    if len(head) < 9 or head[8:9] != b"{":
        return False
    (header_bytes,) = struct.unpack("<Q", head[:8])
    return 2 <= header_bytes <= size - 8


def save_native(words: list[str], vectors: np.ndarray, path: str | os.PathLike) -> Path:
    """Write ``words`` and their ``vectors`` (N, D) to ``path`` in the format above."""
    p = Path(path)
    encoded = [w.encode("utf-8") for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    tensors = {
        "vectors": np.ascontiguousarray(vectors, dtype=np.float32),  # (N, D)
        "words": np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(),  # (B,)
        "word_offsets": offsets,  # (N + 1,)
    }
    p.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(p), metadata={"format": NATIVE_FORMAT, "version": NATIVE_VERSION})
    return p


def read_native(p: Path) -> tuple[list[str], np.ndarray]:
    """The words and the (N, D) float32 matrix of a file written by :func:`save_native`."""
    try:
        with safe_open(str(p), framework="numpy") as f:
            _check_metadata(p, f.metadata() or {}, set(f.keys()))
            tensors = {name: f.get_tensor(name) for name in _TENSORS}
    except (SafetensorError, OSError, ValueError, TypeError) as e:
        raise SeqlabError(f"{p}: not a readable safetensors file ({_first_line(e)})") from None
    vectors = _check_vectors(p, tensors["vectors"])
    words = _decode_words(p, tensors["words"], tensors["word_offsets"], len(vectors))
    return words, vectors


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _check_metadata(p: Path, metadata: dict[str, str], keys: set[str]) -> None:
    if metadata.get("format") != NATIVE_FORMAT or not set(_TENSORS) <= keys:
        found = ", ".join(sorted(keys)[:6]) or "none"
        raise SeqlabError(
            f"{p}: a safetensors file but not seqlab word vectors: expected metadata format "
            f"{NATIVE_FORMAT!r} and tensors {', '.join(_TENSORS)} (found tensors: {found})"
        )
    if metadata.get("version") != NATIVE_VERSION:
        raise SeqlabError(
            f"{p}: seqlab word vectors version {metadata.get('version')!r} is not supported; "
            f"expected {NATIVE_VERSION!r}"
        )


def _check_vectors(p: Path, vectors: np.ndarray) -> np.ndarray:
    if vectors.ndim != 2 or not np.issubdtype(vectors.dtype, np.floating):
        raise SeqlabError(
            f"{p}: tensor 'vectors' must be a 2-D float matrix (words x dimension), got shape "
            f"{tuple(vectors.shape)} of {vectors.dtype}"
        )
    if vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise SeqlabError(f"{p}: no vectors in the file (shape {tuple(vectors.shape)})")
    return vectors.astype(np.float32, copy=False)


def _decode_words(p: Path, data: np.ndarray, offsets: np.ndarray, count: int) -> list[str]:
    if data.ndim != 1 or data.dtype != np.uint8:
        raise SeqlabError(f"{p}: tensor 'words' must be 1-D uint8 (UTF-8 bytes)")
    if offsets.ndim != 1 or offsets.dtype != np.int64 or len(offsets) != count + 1:
        raise SeqlabError(
            f"{p}: tensor 'word_offsets' must be 1-D int64 with {count + 1} entries (one more "
            f"than the {count} vectors), got shape {tuple(offsets.shape)} of {offsets.dtype}"
        )
    if offsets[0] != 0 or offsets[-1] != len(data) or (np.diff(offsets) < 0).any():
        raise SeqlabError(
            f"{p}: tensor 'word_offsets' must rise from 0 to {len(data)} (the bytes in 'words')"
        )
    raw = data.tobytes()
    bounds = offsets.tolist()
    words = []
    for i in range(count):
        try:
            words.append(raw[bounds[i] : bounds[i + 1]].decode("utf-8"))
        except UnicodeDecodeError:
            raise SeqlabError(f"{p}: the word of vector {i + 1} is not valid UTF-8") from None
    return words
