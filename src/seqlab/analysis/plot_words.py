"""The words a figure is labelled with, in English or Korean (``--plot-lang en|ko``).

Titles, axis labels and colour-bar labels of the figures the tours draw come from here, so a
Korean figure speaks the lecture's words (입력, 출력, 숨겨진 상태, 어텐션 가중치, 시점 t) while
the symbols (h_t, a_ts) stay as the equations write them. Token labels are never translated.
"""

from __future__ import annotations

from seqlab.errors import SeqlabError

LANGS = ("en", "ko")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "before": "before training",
        "after": "after training",
        # seq2seq attention (seqlab translate --attention-plot)
        "attention_title": "attention weights",
        "source_token": "source token (input)",
        "output_token": "output token",
        "attention_bar": "attention weight (each row sums to 1)",
        # the recurrent walk-through (seqlab explain --plot)
        "hidden_title": "h_t {when}",
        "time_step": "time step t (input character)",
        "hidden_unit": "hidden unit",
        "hidden_bar": "h_t value",
        # one head of self-attention (seqlab explain --arch transformer --plot)
        "self_attention_title": "a_ts {when}",
        "key_position": "key position s",
        "query_position": "query position t",
        "self_attention_bar": "attention weight a_ts (each row sums to 1)",
    },
    "ko": {
        "before": "학습 전",
        "after": "학습 후",
        "attention_title": "어텐션 가중치",
        "source_token": "원문 토큰 (입력)",
        "output_token": "생성 토큰 (출력)",
        "attention_bar": "어텐션 가중치 (행마다 합이 1)",
        "hidden_title": "{when} 숨겨진 상태 h_t",
        "time_step": "시점 t (입력 글자)",
        "hidden_unit": "h_t의 성분 (은닉 유닛)",
        "hidden_bar": "숨겨진 상태 (hidden state) h_t의 값",
        "self_attention_title": "{when} 어텐션 가중치 a_ts",
        "key_position": "키 위치 s",
        "query_position": "쿼리 위치 t",
        "self_attention_bar": "어텐션 가중치 a_ts (행마다 합이 1)",
    },
}


def words(lang: str) -> dict[str, str]:
    """The labels of ``lang`` ("en" or "ko"); any other value is a one-line error."""
    if lang not in WORDS:
        raise SeqlabError(f"--plot-lang {lang!r}: expected one of {', '.join(LANGS)}")
    return WORDS[lang]
