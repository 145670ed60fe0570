"""The Korean chatbot (configs/chatbot_ko.yaml) on questions it never saw in training.

    python -m bench.chatbot_ko_heldout RUN [--split report] [--min-score S] [--show]
    python -m bench.chatbot_ko_heldout RUN --tune          # choose --min-score on the tune half
    python -m bench.chatbot_ko_heldout RUN --ask Q [Q ...]   # each reply, marked

The questions are configs/data/chatbot_ko_heldout.tsv: paraphrases of training questions (each
with the training answer it should get) and everyday questions the corpus cannot answer, in
two halves: ``tune`` chooses the fallback threshold, ``report`` is measured once with it.
No question is a training turn (tests/bench/test_chatbot_ko_heldout.py checks it).

Each question is decoded as ``seqlab chat RUN --beam 5`` does; with ``--min-score S`` a reply
whose beam score (length-normalised log-probability) is below S becomes the fallback, as with
``seqlab chat RUN --min-score S --fallback 잘 모르겠어요.``. The measures:

- paraphrases: corpus chrF and BLEU (sacrebleu) of the replies against their references; *on
  topic*: the reply's sentence chrF against some training answer of the paraphrased
  question(s) is at least 50 (a copy of one scores 100; a reply on another subject far less);
- everyday questions: how many get the fallback; any other reply counts as wrong, since the
  corpus answers none of them and the honest reply is that the bot does not know;
- acceptable: paraphrases on topic plus everyday questions answered with the fallback, over all;
- speech level: of the polite (존댓말) questions, how many get a polite reply, by the rule of
  bench/_korean_chat.py, with and without the fallback replies (the fallback is polite);
- where each reply comes from (bench/_korean_chat.py): a training pair, a training answer
  reused, new, or the fallback.
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sacrebleu

from bench._korean_chat import MARKS, POLITE, Corpus, HeldOut, read_heldout, register
from seqlab.api import load
from seqlab.data.chatterbot import chatterbot_pairs
from seqlab.errors import SeqlabError

HELDOUT = Path(__file__).resolve().parents[1] / "configs" / "data" / "chatbot_ko_heldout.tsv"
FALLBACK = "잘 모르겠어요."
ON_TOPIC_CHRF = 50.0
GRID = [round(-0.05 * k, 2) for k in range(0, 121)]  # thresholds tried by --tune: 0 .. -6


@dataclass(frozen=True)
class Reply:
    """The model's best reply to one question and its beam score."""

    text: str
    score: float


def decode(run: Path, questions: list[str], beam: int) -> list[Reply]:
    model = load(run)
    return [
        Reply(t.text, t.candidates[0].score if t.candidates else float("-inf"))
        for t in model.translations(questions, beam=beam)
    ]


def said(reply: Reply, min_score: float | None) -> str:
    """What the chatbot says: the reply, or the fallback below ``min_score``."""
    return FALLBACK if min_score is not None and reply.score < min_score else reply.text


def best_chrf(text: str, references: list[str]) -> float:
    return max(sacrebleu.sentence_chrf(text, [ref]).score for ref in references)


def measure(rows: list[HeldOut], texts: list[str], corpus: Corpus) -> dict[str, float]:
    """Counts (and corpus scores) of one set of replies; see the module's docstring."""
    pairs = list(zip(rows, texts, strict=True))
    para = [(r, t) for r, t in pairs if r.kind == "paraphrase"]
    every = [(r, t) for r, t in pairs if r.kind == "everyday"]
    on_topic = sum(
        t != FALLBACK and best_chrf(t, corpus.answers_to(r.sources)) >= ON_TOPIC_CHRF
        for r, t in para
    )
    polite = [t for r, t in pairs if r.register == POLITE]
    answered = [t for t in polite if t != FALLBACK]
    marks = Counter(corpus.provenance(r.question, t, FALLBACK) for r, t in pairs)
    refs = [[r.reference for r, _ in para]]
    return {
        "questions": len(pairs),
        "paraphrases": len(para),
        "everyday": len(every),
        "chrf": sacrebleu.corpus_chrf([t for _, t in para], refs).score if para else 0.0,
        "bleu": sacrebleu.corpus_bleu([t for _, t in para], refs).score if para else 0.0,
        "on_topic": on_topic,
        "paraphrase_fallbacks": sum(t == FALLBACK for _, t in para),
        "everyday_fallbacks": sum(t == FALLBACK for _, t in every),
        "acceptable": on_topic + sum(t == FALLBACK for _, t in every),
        "polite_questions": len(polite),
        "polite_replies": sum(register(t) == POLITE for t in polite),
        "polite_answered": len(answered),
        "polite_answered_politely": sum(register(t) == POLITE for t in answered),
        **{mark: marks[mark] for mark in MARKS},
    }


def share(count: float, total: float) -> str:
    return f"{int(count)}/{int(total)} ({100 * count / total:.0f}%)" if total else "0/0"


def report(m: dict[str, float], what: str) -> list[str]:
    return [
        f"{what}: {m['questions']} questions ({m['paraphrases']} paraphrases of training "
        f"questions, {m['everyday']} everyday questions)",
        f"paraphrases: chrF {m['chrf']:.1f}, BLEU {m['bleu']:.1f} against the paraphrased "
        f"pair's answer; on topic {share(m['on_topic'], m['paraphrases'])} (chrF >= "
        f"{ON_TOPIC_CHRF:.0f} against an answer of that question); fallback "
        f"{share(m['paraphrase_fallbacks'], m['paraphrases'])}",
        f"everyday: fallback {share(m['everyday_fallbacks'], m['everyday'])} (any other reply "
        "counts as wrong: the corpus holds no answer to them)",
        f"acceptable (paraphrase on topic, or everyday with the fallback): "
        f"{share(m['acceptable'], m['questions'])}",
        f"polite questions answered politely: {share(m['polite_replies'], m['polite_questions'])}"
        f"; leaving out the fallback: "
        f"{share(m['polite_answered_politely'], m['polite_answered'])}",
        "replies: " + ", ".join(f"{MARKS[mark]} {m[mark]}" for mark in MARKS),
    ]


def tune(rows: list[HeldOut], replies: list[Reply], corpus: Corpus) -> float | None:
    """The threshold of GRID (or none) with the most acceptable replies; among ties, the
    median of the tied thresholds."""
    scored = {None: measure(rows, [said(r, None) for r in replies], corpus)["acceptable"]}
    for t in GRID:
        scored[t] = measure(rows, [said(r, t) for r in replies], corpus)["acceptable"]
    best = max(scored.values())
    tied = sorted(t for t, n in scored.items() if n == best and t is not None)
    if scored[None] == best or not tied:
        return None
    return statistics.median_low(tied)


def show(rows_or_questions: list, texts: list[str], replies: list[Reply], corpus: Corpus) -> None:
    for row, text, reply in zip(rows_or_questions, texts, replies, strict=True):
        question = row if isinstance(row, str) else row.question
        mark = MARKS[corpus.provenance(question, text, FALLBACK)]
        print(f"{question} -> {text}  [{mark}] ({reply.score:.2f})")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, help="run directory of configs/chatbot_ko.yaml")
    p.add_argument("--heldout", type=Path, default=HELDOUT, help="held-out questions (TSV)")
    p.add_argument("--split", choices=("tune", "report", "all"), default="report")
    p.add_argument("--min-score", type=float, default=None, help="fallback below this score")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--tune", action="store_true", help="choose --min-score on the tune half")
    p.add_argument("--show", action="store_true", help="print every question and reply")
    p.add_argument("--ask", nargs="+", metavar="Q", help="reply to these questions, marked")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    corpus = Corpus(chatterbot_pairs("korean"))
    if args.ask:
        replies = decode(args.run, args.ask, args.beam)
        show(args.ask, [said(r, args.min_score) for r in replies], replies, corpus)
        return
    split = "tune" if args.tune else args.split
    rows = [r for r in read_heldout(args.heldout) if split in ("all", r.split)]
    replies = decode(args.run, [r.question for r in rows], args.beam)
    min_score = tune(rows, replies, corpus) if args.tune else args.min_score
    texts = [said(r, min_score) for r in replies]
    if args.show:
        show(rows, texts, replies, corpus)
    rule = "no fallback" if min_score is None else f"fallback below beam score {min_score:.2f}"
    what = f"{split} half" if split != "all" else "both halves"
    for line in report(measure(rows, texts, corpus), f"{what}, {rule}"):
        print(line)


if __name__ == "__main__":
    try:
        main()
    except SeqlabError as e:
        raise SystemExit(f"error: {e}") from None
