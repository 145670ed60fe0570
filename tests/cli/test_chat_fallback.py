"""`seqlab chat --min-score S --fallback TEXT`: a reply whose beam score is below S is replaced
by TEXT, and the score compared is the one `seqlab.load(run).translate` reports."""

from __future__ import annotations

import io

import pytest

from seqlab.api import load
from seqlab.cli import main
from seqlab.decode.search import Hypothesis
from seqlab.tasks.options import Translation
from seqlab.tasks.seq2seq.use import Fallback

UNSURE = "잘 모르겠어요."


def chat(run, lines: list[str], monkeypatch, capsys, *options: str) -> list[str]:
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    main(["chat", str(run), "--beam", "3", *options])
    return capsys.readouterr().out.splitlines()


def test_the_fallback_replaces_exactly_the_replies_below_the_threshold(
    tiny_runs, pairs, monkeypatch, capsys
):
    run = tiny_runs["s2s"]
    questions = [source for source, _ in pairs[:3]] + ["e e e e"]
    model = load(run)
    scores = [model.translate(q, beam=3).candidates[0].score for q in questions]
    plain = chat(run, questions, monkeypatch, capsys)
    assert plain and UNSURE not in plain
    for question, score, reply in zip(questions, scores, plain, strict=True):
        above, below = (
            chat(run, [question], monkeypatch, capsys, "--min-score", str(t), "--fallback", UNSURE)
            for t in (score + 1e-4, score - 1e-4)
        )
        assert (above, below) == ([UNSURE], [reply])
    # one threshold between the scores splits the lines by score, in order
    middle = sorted(scores)[len(scores) // 2]
    mixed = chat(run, questions, monkeypatch, capsys, "--min-score", str(middle))
    expected = ["I don't know." if s < middle else r for s, r in zip(scores, plain, strict=True)]
    assert mixed == expected and "I don't know." in mixed


def test_a_fallback_needs_a_finite_threshold_and_a_reply(tiny_runs, cli_error):
    run = tiny_runs["s2s"]
    assert "min_score (--min-score)" in cli_error("chat", run, "--min-score", "nan")
    assert "fallback (--fallback)" in cli_error("chat", run, "--min-score", "-1", "--fallback", " ")


@pytest.mark.parametrize(("score", "falls_back"), [(-2.0, True), (-1.0, False), (-0.5, False)])
def test_fallback_compares_the_best_hypothesis_score(score, falls_back):
    best = Hypothesis(tokens=[1], score=score)
    translation = Translation("q", ["q"], [best, Hypothesis(tokens=[2], score=0.0)], ["a", "b"], [])
    fallback = Fallback(UNSURE, min_score=-1.0)
    assert fallback.falls_back(translation) is falls_back
    assert fallback.reply_to(translation) == (UNSURE if falls_back else "a")
