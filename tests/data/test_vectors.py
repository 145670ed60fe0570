"""Word vector files: round trips, format detection and one-line errors naming the line."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from gensim.models import KeyedVectors
from safetensors.numpy import save_file

from seqlab.data.vector_lookup import require_words, word_index
from seqlab.data.vectors import convert_vectors, detect_format, load_vectors, save_vectors
from seqlab.errors import SeqlabError


@pytest.fixture
def kv() -> KeyedVectors:
    rng = np.random.default_rng(0)
    out = KeyedVectors(5)
    out.add_vectors(["the", "dog", "cat", "café", "<unk>"], rng.normal(size=(5, 5)).astype("f4"))
    return out


def _write(tmp_path, text: str, name: str = "vec.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "fmt,name",
    [
        ("safetensors", "v.safetensors"),
        ("word2vec", "v.txt"),
        ("word2vec-binary", "v.bin"),
        ("glove", "v.glove"),
        ("kv", "v.kv"),
    ],
)
def test_round_trip_and_detection(kv, tmp_path, fmt, name):
    p = save_vectors(kv, tmp_path / name, fmt)
    assert detect_format(p) == fmt
    back = load_vectors(p, trust_pickle=fmt == "kv")
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)  # text keeps 9 digits: exact


def test_binary_detected_by_content_and_suffix_decides_save_format(kv, tmp_path):
    p = save_vectors(kv, tmp_path / "v.bin")  # format from the suffix
    renamed = p.rename(tmp_path / "vectors")
    assert detect_format(renamed) == "word2vec-binary"
    assert load_vectors(renamed).index_to_key == kv.index_to_key
    with pytest.raises(SeqlabError, match="say which format"):
        save_vectors(kv, tmp_path / "v.unknown")


def test_gzip_text_and_limit(kv, tmp_path):
    text = save_vectors(kv, tmp_path / "v.txt").read_bytes()
    gz = tmp_path / "v.txt.gz"
    gz.write_bytes(gzip.compress(text))
    assert load_vectors(gz).index_to_key == kv.index_to_key
    assert load_vectors(gz, limit=2).index_to_key == ["the", "dog"]


def test_glove_without_header_and_duplicates_keep_first(tmp_path):
    p = _write(tmp_path, "a 1 2\nb 3 4\n\na 9 9\n")
    kv = load_vectors(p)
    assert detect_format(p) == "glove"
    assert kv.index_to_key == ["a", "b"] and kv["a"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "text,match",
    [
        ("a 1 2 3\nb 1 2 3\nc 1 2\n", r"vec\.txt:3: 'c' has 2 values, expected 3 as in line 1"),
        ("3 2\na 1 2\nb 1 2\n", r"vec\.txt:1: the header says 3 vectors but the file has 2"),
        ("1 2\na 1 2\nb 1 2\n", r"vec\.txt:1: the header says 1 vectors but the file has 2"),
        ("2 3\na 1 2\nb 1 2\n", r"vec\.txt:2: 'a' has 2 values, expected 3 as in the header"),
        ("a 1 2\nb 1 x\n", r"vec\.txt:2: value 'x' for 'b' is not a number"),
        ("hello world, this is prose\nnot vectors\n", r"vec\.txt:1: not a vectors file"),
        ("\n\n", r"vec\.txt: no vectors in the file"),
    ],
)
def test_bad_text_files_name_the_line(tmp_path, text, match):
    with pytest.raises(SeqlabError, match=match):
        load_vectors(_write(tmp_path, text))


def test_header_required_when_format_is_word2vec(tmp_path):
    with pytest.raises(SeqlabError, match=r":1: expected a word2vec header"):
        load_vectors(_write(tmp_path, "a 1 2\n"), fmt="word2vec")
    with pytest.raises(SeqlabError, match="unknown vectors format"):
        load_vectors(_write(tmp_path, "a 1 2\n"), fmt="fasttext")


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(SeqlabError, match="empty"):
        load_vectors(_write(tmp_path, ""))
    with pytest.raises(SeqlabError, match="no such"):
        load_vectors(tmp_path / "nope.txt")


def test_damaged_binary_files(kv, tmp_path):
    data = save_vectors(kv, tmp_path / "v.bin").read_bytes()
    (tmp_path / "short.bin").write_bytes(data[:-7])
    with pytest.raises(SeqlabError, match=r"short\.bin: the file ends inside vector 5"):
        load_vectors(tmp_path / "short.bin")
    (tmp_path / "long.bin").write_bytes(data + b"extra " + b"\0" * 20)
    with pytest.raises(SeqlabError, match="header says 5 vectors but more data follows"):
        load_vectors(tmp_path / "long.bin")
    (tmp_path / "count.bin").write_bytes(b"9" + data[1:])  # header claims 9 vectors
    with pytest.raises(SeqlabError, match="ends at vector 6 but the header says 9"):
        load_vectors(tmp_path / "count.bin")


def test_garbage_kv_file(tmp_path):
    (tmp_path / "bad.kv").write_bytes(b"not a pickle")
    with pytest.raises(SeqlabError, match=r"bad\.kv: a gensim \.kv file is a Python pickle"):
        load_vectors(tmp_path / "bad.kv")
    with pytest.raises(SeqlabError, match=r"bad\.kv: not a gensim KeyedVectors file"):
        load_vectors(tmp_path / "bad.kv", trust_pickle=True)


def test_native_keeps_any_word_and_is_found_by_content(tmp_path):
    words = ["the", "new york", "line\nbreak", "café", "🙂", ""]
    vectors = np.arange(18, dtype="f4").reshape(6, 3)
    out = KeyedVectors(3)
    out.add_vectors(words, vectors)
    p = save_vectors(out, tmp_path / "v.safetensors")
    renamed = p.rename(tmp_path / "vectors.txt")  # the content decides, not the name
    assert detect_format(renamed) == "safetensors"
    back = load_vectors(renamed)
    assert back.index_to_key == words
    np.testing.assert_array_equal(back.vectors, vectors)
    assert load_vectors(renamed, limit=2).index_to_key == ["the", "new york"]


def _native(tmp_path, tensors: dict, metadata: dict | None = None):
    p = tmp_path / "n.safetensors"
    save_file(tensors, str(p), metadata=metadata)
    return p


_META = {"format": "seqlab-word-vectors", "version": "1"}
_WORDS = {"words": np.frombuffer(b"ab", dtype=np.uint8).copy()}


@pytest.mark.parametrize(
    "tensors,metadata,match",
    [
        ({"weight": np.zeros((2, 2), "f4")}, None, "not seqlab word vectors.*tensors: weight"),
        (
            {"vectors": np.zeros((2, 2), "f4"), **_WORDS, "word_offsets": np.array([0, 1, 2])},
            {**_META, "version": "9"},
            "version '9' is not supported",
        ),
        (
            {"vectors": np.zeros(2, "f4"), **_WORDS, "word_offsets": np.array([0, 1, 2])},
            _META,
            "'vectors' must be a 2-D float matrix",
        ),
        (
            {"vectors": np.zeros((2, 2), "f4"), **_WORDS, "word_offsets": np.array([0, 2])},
            _META,
            "'word_offsets' must be 1-D int64 with 3 entries",
        ),
        (
            {"vectors": np.zeros((2, 2), "f4"), **_WORDS, "word_offsets": np.array([0, 2, 1])},
            _META,
            "'word_offsets' must rise from 0 to 2",
        ),
        (
            {
                "vectors": np.zeros((1, 2), "f4"),
                "words": np.array([0xFF], np.uint8),
                "word_offsets": np.array([0, 1]),
            },
            _META,
            "the word of vector 1 is not valid UTF-8",
        ),
    ],
)
def test_damaged_native_files(tmp_path, tensors, metadata, match):
    with pytest.raises(SeqlabError, match=r"n\.safetensors: .*" + match):
        load_vectors(_native(tmp_path, tensors, metadata))


def test_truncated_native_and_misnamed_files(kv, tmp_path):
    data = save_vectors(kv, tmp_path / "v.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-9])
    with pytest.raises(SeqlabError, match=r"cut\.safetensors: not a readable safetensors file"):
        load_vectors(tmp_path / "cut.safetensors")
    (tmp_path / "text.safetensors").write_text("a 1 2\n")
    with pytest.raises(SeqlabError, match=r"text\.safetensors: not a safetensors file"):
        load_vectors(tmp_path / "text.safetensors")


def test_convert_a_trusted_kv_once(kv, tmp_path):
    src = save_vectors(kv, tmp_path / "v.kv")
    with pytest.raises(SeqlabError, match="can run any code"):
        convert_vectors(src, tmp_path / "v.safetensors")
    out = convert_vectors(src, tmp_path / "v.safetensors", trust_pickle=True)
    back = load_vectors(out)  # no trust needed any more
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)


def test_missing_word_is_a_seqlab_error_not_key_error(kv):
    assert word_index(kv, "dog") == 1
    with pytest.raises(SeqlabError, match=r"not in the vectors \(5 words\): 'Dog'.*'dog'"):
        word_index(kv, "Dog")
    with pytest.raises(SeqlabError, match="2 words are not in the vectors.*'x', 'y'"):
        require_words(kv, ["dog", "x", "y"])
