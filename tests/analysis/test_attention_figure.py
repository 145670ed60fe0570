"""The attention heatmap and the explain heatmaps: labelled in English by default and in Korean
with lang="ko", column labels horizontal, a figure that grows with the tokens, and a colour scale
that tells small differences apart."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.analysis.attention_figure import (
    GAMMAS,
    MIN_HEIGHT,
    MIN_WIDTH,
    WRITE_WEIGHTS_UP_TO,
    attention_heatmap,
    colour_scale,
    display_units,
)
from seqlab.analysis.explain import draw_hidden
from seqlab.analysis.explain_attention_text import draw_attention
from seqlab.analysis.plot_words import WORDS, words
from seqlab.data.normalize import has_hangul
from seqlab.errors import SeqlabError


def weights(rows: int, cols: int, spread: float = 1.0) -> np.ndarray:
    """(rows, cols) attention weights, each row summing to 1; a large ``spread`` makes them
    nearly even."""
    return np.random.default_rng(0).dirichlet(np.full(cols, spread), size=rows)


def tokens(n: int, stem: str = "tok") -> list[str]:
    return [f"{stem}{i}" for i in range(n)]


def main_and_colorbar(fig):
    """(the heatmap's axes, the colour bar's axes)."""
    bars = [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]
    main = [ax for ax in fig.axes if ax not in bars]
    assert len(main) == 1 and len(bars) == 1
    return main[0], bars[0]


def labels(fig) -> list[str]:
    """The title, x and y label of every heatmap, then the colour bar's label."""
    texts = []
    for ax in fig.axes:
        if getattr(ax, "_colorbar", None) is not None:
            texts.append(ax.get_ylabel())
        else:
            texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return texts


def test_attention_is_labelled_in_english_by_default_and_in_korean_when_asked():
    w = weights(2, 3)
    english = labels(attention_heatmap(w, ["a", "b", "c"], ["x", "y"]))
    korean = labels(attention_heatmap(w, ["a", "b", "c"], ["x", "y"], lang="ko"))
    assert english == ["attention weights", "source token (input)", "output token"] + [
        "attention weight (each row sums to 1)"
    ]
    assert all(has_hangul(text) for text in korean), korean
    assert korean[0] == "어텐션 가중치" and "원문 토큰" in korean[1] and "생성 토큰" in korean[2]
    assert "어텐션 가중치" in korean[3]
    given = attention_heatmap(w, ["a", "b", "c"], ["x", "y"], "at step 7", lang="ko")
    assert labels(given)[0] == "at step 7"  # a title given is kept, in either language


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_column_labels_are_horizontal_even_when_long(lang):
    src = ["▁안녕하세요반갑습니다여러분모두", "▁a", "<eos>"]
    fig = attention_heatmap(weights(2, 3), src, ["x", "y"], lang=lang)
    ax, _ = main_and_colorbar(fig)
    fig.canvas.draw()
    ticks = ax.get_xticklabels()
    assert [t.get_rotation() for t in ticks] == [0.0, 0.0, 0.0]
    long = ticks[0].get_text()
    assert long.replace("\n", "") == src[0] and "\n" in long  # wrapped, not slanted
    assert max(display_units(line) for line in long.split("\n")) < display_units(src[0])


def test_the_figure_grows_with_the_number_of_tokens():
    small = attention_heatmap(weights(2, 3), tokens(3), tokens(2)).get_size_inches()
    wide = attention_heatmap(weights(2, 20), tokens(20), tokens(2)).get_size_inches()
    tall = attention_heatmap(weights(20, 3), tokens(3), tokens(20)).get_size_inches()
    assert tuple(small) == (MIN_WIDTH, MIN_HEIGHT)
    assert wide[0] > small[0] + 5 and wide[1] == small[1]
    assert tall[1] > small[1] + 5 and tall[0] == small[0]
    longer = attention_heatmap(weights(2, 20), tokens(20, "longer_token"), tokens(2))
    assert longer.get_size_inches()[0] > wide[0]  # longer labels get wider columns


@pytest.mark.parametrize("spread", [200.0, 0.5])  # nearly even; uneven
def test_weights_spread_over_the_colours_with_the_median_in_the_middle(spread):
    w = weights(3, 7, spread)
    fig = attention_heatmap(w, tokens(7), tokens(3))
    ax, bar = main_and_colorbar(fig)
    norm = ax.images[0].norm
    shown = norm(w)
    assert shown.min() == pytest.approx(0.0) and shown.max() == pytest.approx(1.0)
    assert norm(np.array([np.median(w)]))[0] == pytest.approx(0.5, abs=1e-6)
    assert bar.get_ylim() == pytest.approx((w.min(), w.max()))
    ticks = bar.get_yticks()
    steps = np.diff(np.asarray(norm(ticks))).tolist()
    assert steps == pytest.approx([0.25] * (len(ticks) - 1))  # evenly spaced in colour
    texts = [t.get_text() for t in bar.get_yticklabels()]
    assert len(set(texts)) == len(texts) and texts[0] == f"{w.min():.{len(texts[0]) - 2}f}"


def test_nearly_even_weights_get_colours_far_apart():
    w = weights(2, 7, spread=200.0)  # every weight within a few hundredths of 1/7
    assert w.max() - w.min() < 0.1
    ax, _ = main_and_colorbar(attention_heatmap(w, tokens(7), tokens(2)))
    shown = np.sort(np.asarray(ax.images[0].norm(w)).ravel())
    assert shown[-1] - shown[0] == pytest.approx(1.0) and np.median(np.diff(shown)) > 0.02


def test_the_bend_is_bounded():
    peaked = np.array([[0.98, 0.01, 0.005, 0.005], [0.97, 0.01, 0.01, 0.01]])  # median near 0
    flat_top = np.array([[0.1, 0.3, 0.3, 0.3], [0.3, 0.3, 0.3, 0.1]])  # median at the top
    assert colour_scale(peaked)[2] == GAMMAS[0] and colour_scale(flat_top)[2] == GAMMAS[1]


def test_one_flat_weight_keeps_the_plain_scale():
    fig = attention_heatmap(np.ones((3, 1)), ["only"], tokens(3))
    _, bar = main_and_colorbar(fig)
    assert bar.get_ylim() == pytest.approx((0.0, 1.0))


def test_small_matrices_have_their_weights_written_in_the_cells():
    w = weights(3, 4)
    ax, _ = main_and_colorbar(attention_heatmap(w, tokens(4), tokens(3)))
    written = sorted(t.get_text() for t in ax.texts)
    assert written == sorted(f"{v:.2f}" for v in w.ravel())
    n = WRITE_WEIGHTS_UP_TO + 1
    ax, _ = main_and_colorbar(attention_heatmap(weights(2, n), tokens(n), tokens(2)))
    assert not ax.texts


def test_the_explain_heatmaps_speak_korean_when_asked():
    walk = [
        {"input": "다", "h": [0.1, -0.2], "weights": [1.0, 0.0], "masked": [False, True]},
        {"input": "익", "h": [0.3, 0.2], "weights": [0.4, 0.6], "masked": [False, False]},
    ]
    for draw in (draw_hidden, draw_attention):
        english = labels(draw({"before": walk, "after": walk}))
        korean = labels(draw({"before": walk, "after": walk}, lang="ko"))
        assert not any(has_hangul(t) for t in english), english
        assert all(has_hangul(t) for t in korean), korean
        assert "학습 전" in korean[0] and "학습 후" in korean[3]
        assert len(set(korean)) == len(set(english))  # one Korean label for each English one
    assert "시점 t" in labels(draw_hidden({"before": walk, "after": walk}, "ko"))[1]


def test_both_languages_label_the_same_things_and_others_are_refused():
    assert WORDS["en"].keys() == WORDS["ko"].keys()
    for lang in ("en", "ko"):
        for key, text in words(lang).items():
            assert ("{when}" in text) == ("{when}" in WORDS["en"][key]), key
    with pytest.raises(SeqlabError, match=r"^--plot-lang 'fr': expected one of en, ko$"):
        attention_heatmap(weights(1, 2), tokens(2), tokens(1), lang="fr")
