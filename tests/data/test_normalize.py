"""Korean text in: NFC everywhere it enters, syllables kept whole unless jamo are asked for."""

from __future__ import annotations

import gzip
import unicodedata

import pytest

from seqlab.data.chatterbot import chatterbot_pairs
from seqlab.data.io import iter_lines, read_text
from seqlab.data.normalize import (
    SyllableStream,
    decompose_hangul,
    decompose_syllable,
    has_hangul,
    lone_jamo_to_compatibility,
    nfc,
)
from seqlab.data.tokenizers import build_tokenizer, tokenizer_from_dict
from seqlab.errors import SeqlabError

HELLO = "안녕하세요"
HELLO_NFD = unicodedata.normalize("NFD", HELLO)  # 12 conjoining jamo that look the same


def is_jamo(ch: str) -> bool:
    return 0x1100 <= ord(ch) <= 0x11FF


def is_syllable(ch: str) -> bool:
    return 0xAC00 <= ord(ch) <= 0xD7A3


@pytest.fixture(scope="module")
def korean_lines() -> list[str]:
    """Every turn of the Korean chatterbot corpus (installed with seqlab), once."""
    pairs = chatterbot_pairs("korean")
    return list(dict.fromkeys(t for pair in pairs for t in pair))


def test_the_two_spellings_differ_until_normalized():
    assert HELLO_NFD != HELLO and len(HELLO_NFD) > len(HELLO)
    assert nfc(HELLO_NFD) == HELLO
    assert nfc(HELLO) is HELLO  # already NFC: no copy


def test_the_jamo_formula_matches_unicode_for_every_syllable():
    for code in range(0xAC00, 0xD7A4):
        ch = chr(code)
        assert decompose_syllable(ch) == unicodedata.normalize("NFD", ch), hex(code)
    assert decompose_hangul("a 한 é") == "a " + unicodedata.normalize("NFD", "한") + " é"
    assert has_hangul("x안") and has_hangul(HELLO_NFD) and has_hangul("ㅎㅇ")
    assert not has_hangul("hello, café 🙂")
    lone = "\u1112\u110b " + HELLO_NFD  # two lone leading consonants, then whole syllables
    assert lone_jamo_to_compatibility(lone) == "ㅎㅇ " + HELLO


@pytest.mark.parametrize("kind", ["char", "word"])
def test_decomposed_and_precomposed_input_give_the_same_tokens(kind):
    tok = build_tokenizer(kind)
    sentence = "안녕하세요, 오늘 어때?"
    tokens = tok.tokenize(sentence)
    assert tok.tokenize(unicodedata.normalize("NFD", sentence)) == tokens
    assert not any(is_jamo(ch) for t in tokens for ch in t)  # syllables kept whole
    assert tok.detokenize(tokens) == sentence
    if kind == "char":
        assert tokens[:5] == list(HELLO)


def test_char_tokenizer_decomposes_hangul_only_when_asked():
    tok = build_tokenizer("char", decompose_hangul=True)
    tokens = tok.tokenize(HELLO)
    assert tokens == list(HELLO_NFD) and all(is_jamo(t) for t in tokens)
    assert tok.tokenize(HELLO_NFD) == tokens
    assert tok.tokenize("hi 안") == ["h", "i", " ", *unicodedata.normalize("NFD", "안")]
    assert tok.detokenize(tokens) == HELLO  # recomposed into syllables
    saved = tok.to_dict()
    assert saved["decompose_hangul"] is True
    assert tokenizer_from_dict(saved).tokenize(HELLO) == tokens
    plain = build_tokenizer("char")
    assert "decompose_hangul" not in plain.to_dict()  # runs saved before the option load alike
    assert tokenizer_from_dict(plain.to_dict()).tokenize(HELLO) == list(HELLO)


def test_a_stream_of_jamo_comes_out_as_whole_syllables():
    text = "안녕하세요, 오늘 어때? ㅋㅋ 가" + unicodedata.normalize("NFD", "괜찮아")
    stream, out = SyllableStream(), []
    for piece in decompose_hangul(text):
        out.append(stream.push(piece))
        assert unicodedata.is_normalized("NFC", out[-1])
        assert not any(is_jamo(ch) for ch in out[-1])  # no half-spelled syllable escapes
    out.append(stream.flush())
    assert "".join(out) == nfc(text)
    assert stream.push("ab") == "ab" and stream.push("\u1100") == "" and stream.flush() == "\u1100"


def test_decompose_hangul_needs_the_char_tokenizer():
    with pytest.raises(SeqlabError, match="decompose_hangul: needs tokenizer 'char', not 'word'"):
        build_tokenizer("word", decompose_hangul=True)
    with pytest.raises(SeqlabError, match="decompose_hangul must be true or false"):
        tokenizer_from_dict({"kind": "char", "decompose_hangul": "yes"})


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_sentencepiece_learns_korean_subwords(kind, korean_lines):
    tok = build_tokenizer(kind, korean_lines, vocab_size=2000)  # >= the 757 characters
    assert any(sum(map(is_syllable, p)) >= 2 for p in tok.pieces())  # beyond one syllable
    chars = tokens = 0
    for line in korean_lines:
        got = tok.tokenize(line)
        assert tok.detokenize(got) == " ".join(line.split()), line  # typed ㅋㅋ comes back
        if not any(0x3130 <= ord(ch) <= 0x318F for ch in line):  # no typed jamo: none made
            assert not any(is_jamo(ch) for t in got for ch in t), line
        chars += len(line)
        tokens += len(got)
    assert tokens < 0.8 * chars  # subwords: fewer tokens than characters
    question = "오늘 기분이 어때?"
    assert tok.tokenize(unicodedata.normalize("NFD", question)) == tok.tokenize(question)
    assert tokenizer_from_dict(tok.to_dict()).tokenize(question) == tok.tokenize(question)


def test_readers_return_nfc(tmp_path):
    text = f"{HELLO_NFD}\n오늘 어때?\n"
    plain = tmp_path / "ko.txt"
    plain.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    packed = tmp_path / "ko.txt.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        assert read_text(path) == text.replace(HELLO_NFD, HELLO)
        assert list(iter_lines(path)) == [HELLO, "오늘 어때?"]


def test_the_korean_corpus_reads_as_nfc(korean_lines):
    assert sum(map(has_hangul, korean_lines)) > 0.9 * len(korean_lines)
    assert all(unicodedata.is_normalized("NFC", t) for t in korean_lines)
