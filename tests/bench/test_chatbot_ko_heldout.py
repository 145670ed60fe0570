"""The Korean chatbot's held-out questions and what bench/chatbot_ko_heldout.py measures with
them: no held-out question is a turn of the training corpus, each paraphrase names a training
question and one of its answers, the speech-level rule agrees with the file's labels, replies
are marked by where they come from, and the script runs on a tiny run."""

from __future__ import annotations

import importlib
import shlex
import types
from collections import Counter
from pathlib import Path

import pytest

from seqlab.cli import main
from seqlab.data.chatterbot import chatterbot_pairs
from seqlab.errors import SeqlabError

REPO = Path(__file__).resolve().parents[2]
HELDOUT = REPO / "configs" / "data" / "chatbot_ko_heldout.tsv"


def bench_module(name: str) -> types.ModuleType:
    """bench.NAME, imported as ``python -m bench.chatbot_ko_heldout`` from the root has it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))
        return importlib.import_module(f"bench.{name}")


kc = bench_module("_korean_chat")
script = bench_module("chatbot_ko_heldout")
POLITE, CASUAL, UNKNOWN = kc.POLITE, kc.CASUAL, kc.UNKNOWN
COPIED_PAIR, COPIED, NEW, FALLBACK = kc.COPIED_PAIR, kc.COPIED, kc.NEW, kc.FALLBACK
Corpus, key, read_heldout, register = kc.Corpus, kc.key, kc.read_heldout, kc.register


@pytest.fixture(scope="module")
def corpus() -> kc.Corpus:
    return Corpus(chatterbot_pairs("korean"))


def test_no_held_out_question_is_in_the_training_corpus(corpus):
    assert script.HELDOUT == HELDOUT
    rows = read_heldout(HELDOUT)
    assert len(rows) >= 40 and len({key(r.question) for r in rows}) == len(rows)
    assert not [r.question for r in rows if key(r.question) in corpus.turns]


def test_each_paraphrase_names_a_training_question_and_one_of_its_answers(corpus):
    rows = read_heldout(HELDOUT)
    questions = {key(q) for q, _ in corpus.pairs}
    for row in rows:
        if row.kind == "paraphrase":
            assert row.sources and all(key(q) in questions for q in row.sources), row.question
            assert row.reference in corpus.answers_of[key(row.sources[0])], row.question
            assert set(corpus.answers_to(row.sources)) >= {row.reference}


def test_the_halves_are_balanced_and_both_speech_levels_are_asked():
    counts = Counter((r.kind, r.split) for r in read_heldout(HELDOUT))
    for kind in ("paraphrase", "everyday"):
        assert abs(counts[kind, "tune"] - counts[kind, "report"]) <= 1 and counts[kind, "tune"]
    levels = Counter(r.register for r in read_heldout(HELDOUT))
    assert levels[POLITE] >= 20 and levels[CASUAL] >= 10


def test_the_speech_level_rule_agrees_with_every_labelled_question():
    for row in read_heldout(HELDOUT):
        assert register(row.question) == row.register, row.question


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("안녕하세요", POLITE),
        ("안녕", CASUAL),
        ("안녕~", CASUAL),
        ("저는 파이썬으로 만들어졌습니다.", POLITE),
        ("질문이 무엇인가요?", POLITE),
        ("안녕하세요. 사용자님.", POLITE),  # a trailing noun does not decide
        ("나는 형제가 없다. 하지만 클론이 있다.", CASUAL),
        ("너는 뭐 때문에 슬퍼?", CASUAL),
        ("밥은 먹었어?", CASUAL),
        ("파랑", UNKNOWN),
        ("I'm fine.", UNKNOWN),
        ("아니요.", POLITE),
    ],
)
def test_register_reads_the_ending(text, level):
    assert register(text) == level


def test_the_corpus_answers_its_polite_hello_in_banmal():
    pairs = chatterbot_pairs("korean")
    assert ("안녕하세요", "안녕") in pairs
    assert (register("안녕하세요"), register("안녕")) == (POLITE, CASUAL)


def test_provenance_compares_words_not_spacing_or_punctuation():
    corpus = Corpus([("안녕하세요", "안녕하세요. 사용자님."), ("오늘 어때?", "좋아요")])
    assert key("안녕하세요 . 사용자님") == key("안녕하세요. 사용자님.")
    assert corpus.provenance("안녕하세요!", "안녕하세요 사용자님") == COPIED_PAIR
    assert corpus.provenance("반가워요", "안녕하세요. 사용자님.") == COPIED
    assert corpus.provenance("오늘 어때?", "안녕하세요. 사용자님.") == COPIED
    assert corpus.provenance("오늘 어때?", "좋아요 사용자님") == NEW
    assert corpus.provenance("뭐?", "모르겠어요.", fallback="모르겠어요") == FALLBACK


def test_a_bad_held_out_row_names_its_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    header = "question\tkind\tregister\treference\tparaphrases\tsplit\n"
    path.write_text(header + "뭐야?\tjoke\t반말\t\t\ttune\n", encoding="utf-8")
    with pytest.raises(SeqlabError, match=r"bad\.tsv:2: expected kind"):
        read_heldout(path)
    path.write_text(header + "뭐야?\teveryday\t반말\t응\t\ttune\n", encoding="utf-8")
    with pytest.raises(SeqlabError, match=r"bad\.tsv:2: a paraphrase"):
        read_heldout(path)
    path.write_text("q\tkind\n", encoding="utf-8")
    with pytest.raises(SeqlabError, match=r"bad\.tsv:1: expected the header"):
        read_heldout(path)


@pytest.fixture(scope="module")
def tiny_korean_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ko") / "run"
    config = REPO / "configs" / "chatbot_ko.yaml"
    sets = [f"out_dir={out}", "train.max_steps=3", "train.eval_every=0", "data.bleu_sentences=2"]
    sets += ["model.embedding_dim=8", "model.hidden_size=8"]
    main(["train", str(config), *[a for s in sets for a in ("--set", s)]])
    return out


def test_a_threshold_above_every_score_makes_every_reply_the_fallback(tiny_korean_run, capsys):
    script.main([str(tiny_korean_run), "--split", "all", "--min-score", "1"])
    out = capsys.readouterr().out
    rows = read_heldout(HELDOUT)
    everyday = sum(r.kind == "everyday" for r in rows)
    polite = sum(r.register == POLITE for r in rows)
    assert f"acceptable (paraphrase on topic, or everyday with the fallback): {everyday}/" in out
    assert f"polite questions answered politely: {polite}/{polite} (100%)" in out
    assert f"모름(대체 답) {len(rows)}" in out


def test_ask_marks_each_reply(tiny_korean_run, capsys, corpus):
    script.main([str(tiny_korean_run), "--ask", "안녕하세요", "오늘 어때?"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" -> ")[0] for line in lines] == ["안녕하세요", "오늘 어때?"]
    for line in lines:
        question, rest = line.split(" -> ")
        reply = rest.rsplit("  [", 1)[0]
        mark = corpus.provenance(question, reply)
        assert {COPIED_PAIR: "[학습 쌍 그대로]", COPIED: "[학습 답 재사용]", NEW: "[새 답]"}[
            mark
        ] in line


def test_the_korean_tours_chatbot_commands_parse_and_share_one_threshold(monkeypatch):
    """The tour (scripts/tour_ko_chatbot.py) asks `seqlab chat` and this script with the same
    --min-score, and its commands are ones the script's own parser accepts."""
    monkeypatch.syspath_prepend(str(REPO / "scripts"))
    tour = importlib.import_module("tour_ko_chatbot")
    commands = [shlex.split(cmd.split("|")[-1]) for cmd, _ in tour.COMMANDS]
    chats = [c for c in commands if c[:2] == ["seqlab", "chat"]]
    benches = [c for c in commands if c[:3] == ["python", "-m", "bench.chatbot_ko_heldout"]]
    assert len(chats) == 1 and len(benches) == 2
    for argv in benches:
        args = script.parse(argv[3:])
        assert str(args.run) == tour.CHATBOT and args.min_score == float(tour.MIN_SCORE)
    chat = chats[0]
    assert chat[chat.index("--min-score") + 1] == tour.MIN_SCORE
    assert chat[chat.index("--fallback") + 1] == script.FALLBACK
    assert any(
        args == tour.QUESTIONS
        for args in (b[b.index("--ask") + 1 :] for b in benches if "--ask" in b)
    )
