"""Korean through the command line: explain shows syllables, a character LM trains on syllables
or (asked for) on jamo, saves that choice with its tokenizer, and writes syllables back out."""

from __future__ import annotations

import ast
import json
import unicodedata

import pytest

from seqlab.cli import main
from seqlab.data.chatterbot import chatterbot_pairs


def run(args, capsys) -> str:
    main([str(a) for a in args])
    return capsys.readouterr().out


def is_jamo(ch: str) -> bool:
    return len(ch) == 1 and 0x1100 <= ord(ch) <= 0x11FF


def is_syllable(ch: str) -> bool:
    return len(ch) == 1 and 0xAC00 <= ord(ch) <= 0xD7A3


def test_explain_prints_syllables_as_the_vocabulary(capsys):
    out = run(["explain", "--text", "안녕하세요", "--steps", "2"], capsys)
    assert out.startswith(
        "cell rnn, hidden size 4, seed 0; vocabulary ['녕', '세', '안', '요', '하']"
    )
    assert "input '안녕하세' -> target '녕하세요'" in out
    assert "generated '안" in out
    decomposed = unicodedata.normalize("NFD", "안녕하세요")
    as_json = run(["explain", "--text", decomposed, "--steps", "2", "--json"], capsys)
    assert json.loads(as_json)["vocab"] == ["녕", "세", "안", "요", "하"]


@pytest.fixture(scope="module")
def korean_text(tmp_path_factory):
    """The Korean chatterbot turns, one per line, written decomposed (NFD) on purpose."""
    lines = dict.fromkeys(t for pair in chatterbot_pairs("korean") for t in pair)
    path = tmp_path_factory.mktemp("ko") / "ko.txt"
    path.write_text(unicodedata.normalize("NFD", "\n".join(lines) + "\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize("decompose", [False, True])
def test_char_lm_on_syllables_or_jamo(decompose, korean_text, lm_config, tmp_path, capsys):
    name = "jamo" if decompose else "syllables"
    cfg = lm_config(name=name)
    sets = [f"data.train={korean_text}", "train.max_steps=3", "train.eval_every=0"]
    sets.append(f"data.decompose_hangul={str(decompose).lower()}")
    run(["train", cfg, *[a for s in sets for a in ("--set", s)]], capsys)
    saved = json.loads((tmp_path / name / "tokenizer.json").read_text())
    assert saved.get("decompose_hangul", False) is decompose
    vocab = json.loads((tmp_path / name / "vocab.json").read_text(encoding="utf-8"))["itos"]
    korean = [t for t in vocab if is_jamo(t) or is_syllable(t)]
    assert korean and all(map(is_jamo if decompose else is_syllable, korean)), korean[:5]
    out = run(
        ["generate", tmp_path / name, "--prime", "안녕", "--length", "30", "--seed", "1"], capsys
    )
    assert out.startswith("안녕")  # the prime, decomposed for the model, reads back as syllables
    assert unicodedata.is_normalized("NFC", out)
    assert (
        run(
            [
                "generate",
                tmp_path / name,
                "--prime",
                unicodedata.normalize("NFD", "안녕"),
                "--length",
                "30",
                "--seed",
                "1",
            ],
            capsys,
        )
        == out
    )  # either spelling of the prime gives the same sample


def test_decompose_hangul_needs_the_char_tokenizer(lm_config, capsys):
    cfg = lm_config(name="bad")
    with pytest.raises(SystemExit) as e:
        main(
            [
                "train",
                str(cfg),
                "--set",
                "data.tokenizer=word",
                "--set",
                "data.decompose_hangul=true",
            ]
        )
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "data.decompose_hangul: needs tokenizer 'char', not 'word'" in err and "\n" not in err


def test_tokenize_shows_syllables_jamo_words_and_subwords(capsys):
    text = "오늘 기분이 어때?"
    out = run(["tokenize", "--tokenizer", "char", unicodedata.normalize("NFD", text)], capsys)
    assert out == f"10 tokens: {list(text)}\n"
    out = run(["tokenize", "--tokenizer", "char", "--decompose-hangul", text], capsys)
    assert out == f"19 tokens: {list(unicodedata.normalize('NFD', text))}\n"
    assert run(["tokenize", "--tokenizer", "word", text], capsys).endswith(
        "4 tokens: ['오늘', '기분이', '어때', '?']\n"
    )
    args = ["tokenize", "--tokenizer", "unigram", "--train", "chatterbot:korean"]
    out = run([*args, "--vocab-size", "2000", text], capsys).splitlines()
    assert out[0].startswith("unigram: ") and "lines of chatterbot:korean" in out[0]
    count, tokens = out[1].split(" tokens: ")
    pieces = ast.literal_eval(tokens)
    assert 4 <= int(count) < 10 and "".join(pieces).replace("▁", " ").strip() == text


def test_tokenize_bad_options_are_one_line(capsys):
    for args, message in [
        (["--tokenizer", "bpe"], "--tokenizer bpe learns its subwords: give --train FILE"),
        (["--tokenizer", "word", "--decompose-hangul"], "decompose_hangul: needs tokenizer"),
        (
            ["--tokenizer", "bpe", "--train", "chatterbot:korean", "--vocab-size", "100"],
            "vocab_size 100 is below the",
        ),
    ]:
        with pytest.raises(SystemExit) as e:
            main(["tokenize", *args, "가"])
        err = capsys.readouterr().err.strip()
        assert e.value.code == 2 and message in err and "\n" not in err, err
