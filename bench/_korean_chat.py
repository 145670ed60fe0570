"""What bench/chatbot_ko_heldout.py measures a Korean chatbot with: where a reply comes from,
the speech level of a sentence, and the held-out questions.

Where a reply comes from (:func:`provenance`). Two texts are *the same* when their keys are
equal: the text in NFC, lower-cased, with everything but letters and digits dropped (so spacing
and punctuation never count: "안녕하세요. 사용자님." and "안녕하세요 사용자님" are the same
text). A reply is then, in this order:

    fallback    the fixed fallback reply (the model was unsure and said so)
    copied pair (question, reply) is a training pair: the question is a training question and the
                model gives back one of its training answers, word for word
    copied      the reply is some training answer, but not one paired with this question
    new         the reply is no training answer

Speech level (:func:`register`). A rule on sentence endings, not a parser. The text is cut into
sentences at . ? ! ~ and line ends; the last sentence whose last Hangul word has a known ending
decides:

    존댓말 (polite)   the word ends in 요, 니다, 니까, 시오 or 죠 (해요체, 합니다체: 해요, 합니다,
                      합니까, 하십시오, 하죠), or is 네 / 예 / 아니요 / 아뇨
    반말 (casual)     the word's last syllable has no final consonant and the vowel ㅓ ㅕ ㅝ ㅐ
                      or ㅙ (the 해체 ending -어 and its contractions: 먹어, 해, 줘, 슬퍼, 돼),
                      or the word ends in 아 야 와 봐 지 니 냐 자 까 군 구나 걸 다 네 게 대 데
                      거든 (해체, and 해라체 such as 한다), or is 안녕 / 응 / 아니
    모름 (unknown)    anything else: a bare noun (파랑, 라면), a name, letters other than Hangul

Held-out questions (:func:`read_heldout`): a TSV with the header ``question kind register
reference paraphrases split``; kind is paraphrase or everyday, register 존댓말 or 반말, split
tune or report; a paraphrase names the training question it rephrases (and, after `` | ``, any
other training questions that ask the same thing) and one answer of the first as its reference.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from seqlab.data.io import read_text, shown_path
from seqlab.errors import SeqlabError

POLITE, CASUAL, UNKNOWN = "존댓말", "반말", "모름"
POLITE_ENDINGS = ("요", "니다", "니까", "시오", "죠")
POLITE_WORDS = {"네", "예", "아니요", "아뇨"}
CASUAL_ENDINGS = (
    *("아", "야", "와", "봐", "지", "니", "냐", "자", "까", "군", "구나", "걸"),
    *("다", "네", "게", "대", "데", "거든"),
)
CASUAL_VOWELS = {4, 6, 14, 1, 10}  # ㅓ ㅕ ㅝ ㅐ ㅙ, as numbered in the syllable formula
CASUAL_WORDS = {"안녕", "응", "아니"}
SENTENCE_END = re.compile(r"[.?!~\n]+")
HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")

FALLBACK, COPIED_PAIR, COPIED, NEW = "fallback", "copied pair", "copied", "new"
MARKS = {  # how the Korean tour labels each
    COPIED_PAIR: "학습 쌍 그대로",
    COPIED: "학습 답 재사용",
    NEW: "새 답",
    FALLBACK: "모름(대체 답)",
}
KINDS, REGISTERS, SPLITS = ("paraphrase", "everyday"), (POLITE, CASUAL), ("tune", "report")
HEADER = ["question", "kind", "register", "reference", "paraphrases", "split"]


def key(text: str) -> str:
    """The text as compared: NFC, lower-cased, letters and digits only."""
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


class Corpus:
    """Training pairs, looked up by key: every training answer, every (question, answer) pair,
    every turn (question or answer), and each question's answers."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs
        self.answers = {key(a) for _, a in pairs}
        self.pair_keys = {(key(q), key(a)) for q, a in pairs}
        self.turns = self.answers | {key(q) for q, _ in pairs}
        self.answers_of: dict[str, list[str]] = {}
        for q, a in pairs:
            self.answers_of.setdefault(key(q), []).append(a)

    def answers_to(self, questions: list[str]) -> list[str]:
        """Every training answer to any of ``questions``."""
        return [a for q in questions for a in self.answers_of.get(key(q), [])]

    def provenance(self, question: str, reply: str, fallback: str | None = None) -> str:
        """fallback, copied pair, copied or new (see the module's docstring)."""
        if fallback is not None and key(reply) == key(fallback):
            return FALLBACK
        if (key(question), key(reply)) in self.pair_keys:
            return COPIED_PAIR
        return COPIED if key(reply) in self.answers else NEW


def _eo_ending(syllable: str) -> bool:
    """Whether a syllable is open (no final consonant) with one of the -어 vowels."""
    code = ord(syllable) - 0xAC00  # (lead * 21 + vowel) * 28 + tail
    return code % 28 == 0 and (code // 28) % 21 in CASUAL_VOWELS


def sentence_register(sentence: str) -> str:
    """존댓말, 반말 or 모름 from the last Hangul word of one sentence."""
    words = HANGUL_WORD.findall(sentence)
    if not words:
        return UNKNOWN
    last = words[-1]
    if last in POLITE_WORDS or last.endswith(POLITE_ENDINGS):
        return POLITE
    if last in CASUAL_WORDS or last.endswith(CASUAL_ENDINGS) or _eo_ending(last[-1]):
        return CASUAL
    return UNKNOWN


def register(text: str) -> str:
    """The speech level of the last sentence of ``text`` whose ending is known, else 모름."""
    text = unicodedata.normalize("NFC", text)
    for sentence in reversed(SENTENCE_END.split(text)):
        level = sentence_register(sentence)
        if level != UNKNOWN:
            return level
    return UNKNOWN


@dataclass(frozen=True)
class HeldOut:
    """One held-out question; ``reference`` and ``paraphrases`` are empty for everyday ones."""

    question: str
    kind: str
    register: str
    reference: str
    paraphrases: str
    split: str

    @property
    def sources(self) -> list[str]:
        """The training questions a paraphrase rephrases (none for an everyday question)."""
        return [q.strip() for q in self.paraphrases.split(" | ")] if self.paraphrases else []


def read_heldout(path: Path) -> list[HeldOut]:
    """The rows of a held-out TSV (see the module's docstring); a bad row is a one-line error
    naming the file and line."""
    lines = read_text(path, what="held-out questions").splitlines()
    if not lines or lines[0].split("\t") != HEADER:
        raise SeqlabError(f"{shown_path(path)}:1: expected the header {' '.join(HEADER)}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        where = f"{shown_path(path)}:{number}"
        if len(cells) != len(HEADER):
            raise SeqlabError(f"{where}: expected {len(HEADER)} tab-separated cells")
        row = HeldOut(*(unicodedata.normalize("NFC", c) for c in cells))
        if row.kind not in KINDS or row.register not in REGISTERS or row.split not in SPLITS:
            raise SeqlabError(
                f"{where}: expected kind in {KINDS}, register in {REGISTERS}, split in {SPLITS}"
            )
        paraphrase = row.kind == "paraphrase"
        if (bool(row.reference), bool(row.paraphrases)) != (paraphrase, paraphrase):
            raise SeqlabError(f"{where}: a paraphrase (and only one) has a reference and a source")
        rows.append(row)
    return rows
