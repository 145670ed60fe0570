"""The Korean chatbot: configs/chatbot_ko.yaml reads the Korean chatterbot corpus with its
syllables whole, and Hangul goes through training, the run directory and `seqlab chat` intact,
whether typed precomposed or as decomposed jamo."""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import yaml

from seqlab.cli import main
from seqlab.data.chatterbot import chatterbot_pairs

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "chatbot_ko.yaml"
GREETINGS = {  # question -> reply, each pair as the Korean corpus has it
    "안녕하세요": "안녕하세요, 오늘은 기분이 어떤가요?",
    "오늘 어때?": "하늘은 파랗고 전 잘지내고 있어요.",
    "너는 어떤 언어로 만들어졌니?": "저는 파이썬으로 만들어졌습니다.",
    "ㅋㅋ": "하하하",
}


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def train(tmp_path: Path, name: str, *sets: str) -> Path:
    out = tmp_path / name
    args = ["train", str(CONFIG), "--set", f"out_dir={out}"]
    main([*args, *[a for s in sets for a in ("--set", s)]])
    return out


def chat(run: Path, lines: list[str], monkeypatch, capsys) -> list[str]:
    """What `seqlab chat RUN` prints for these lines piped in."""
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    main(["chat", str(run), "--beam", "3", "--which", "last"])  # not an earlier tie on BLEU
    return capsys.readouterr().out.splitlines()


def test_the_config_is_budgeted_in_steps_on_the_korean_corpus():
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert config["data"]["train"] == "chatterbot:korean"
    assert config["train"]["max_steps"] > 0 and not config["train"].get("time_limit_minutes")
    assert config["train"]["threads"] == 1  # the same sums in the same order on any machine
    for question, reply in GREETINGS.items():
        assert (question, reply) in chatterbot_pairs("korean")


def test_the_korean_corpus_trains_into_whole_syllable_words(tmp_path):
    run = train(tmp_path, "ko", "train.max_steps=2", "train.eval_every=0", "data.bleu_sentences=4")
    vocab = json.loads((run / "src_vocab.json").read_text(encoding="utf-8"))["itos"]
    assert {"안녕하세요", "어때", "?", "파이썬으로"} <= set(vocab)
    assert len(vocab) > 1000  # eojeol: particles and endings make many word forms
    assert all(unicodedata.is_normalized("NFC", w) for w in vocab)
    assert not any(0x1100 <= ord(ch) <= 0x11FF for w in vocab for ch in w)  # no lone jamo


def test_a_korean_chatbot_answers_its_greetings(tmp_path, monkeypatch, capsys):
    """Overfit four Korean pairs, half of them written as decomposed jamo: the chatbot then
    answers each question, typed either way, with its reply, in precomposed syllables."""
    pairs = tmp_path / "greetings.tsv"
    spelled = [(nfd(q), nfd(a)) if i % 2 else (q, a) for i, (q, a) in enumerate(GREETINGS.items())]
    rows = [f"{q}\t{a}\n" for q, a in spelled]
    pairs.write_text("".join(rows) * 8, encoding="utf-8")
    small = ["model.embedding_dim=32", "model.hidden_size=48", "model.dropout=0.0"]
    steps = ["train.batch_size=8", "train.max_steps=100", "train.lr=0.01", "train.eval_every=100"]
    run = train(tmp_path, "greet", f"data.train={pairs}", "data.bleu_sentences=4", *small, *steps)
    questions = list(GREETINGS)
    replies = chat(run, questions + [nfd(q) for q in questions], monkeypatch, capsys)
    assert replies == list(GREETINGS.values()) * 2
    assert all(unicodedata.is_normalized("NFC", r) for r in replies)
