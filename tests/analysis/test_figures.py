"""Every figure seqlab draws, on tiny inputs: titled, labelled, integer ticks where an axis
counts, nothing clipped, a valid PNG written through ``plots.save``; Hangul labels drawn with a
Korean font and no missing glyph, figures without Hangul left in the default font."""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from seqlab.analysis import bottleneck, plots, word_vectors
from seqlab.analysis.adding import draw_adding
from seqlab.analysis.attention_figure import attention_heatmap
from seqlab.analysis.classification_report import draw_confusion
from seqlab.analysis.explain import draw_hidden
from seqlab.analysis.gradients import draw_gradients
from seqlab.data.normalize import has_hangul
from seqlab.errors import SeqlabError
from seqlab.train.metrics_log import draw_loss

SRC = Path(__file__).resolve().parents[2] / "src" / "seqlab"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def hello():
    rng = np.random.default_rng(0)
    walk = [{"input": ch, "h": rng.uniform(-1, 1, size=3).tolist()} for ch in "hell"]  # H = 3
    fig = draw_hidden({"before": walk, "after": walk[::-1]})
    return fig, [axis for ax in fig.axes[:2] for axis in (ax.xaxis, ax.yaxis)]


def gradients():
    decay = [10.0**-t for t in range(5, 0, -1)]  # T = 5
    result = {
        "length": 5,
        "train_steps": 1,
        "cells": {"rnn": {"init": decay, "trained": decay}, "lstm": {"init": decay}},
        "exploding": {"radius": 1.1, "norms": decay[::-1]},
    }
    fig = draw_gradients(result)
    return fig, [ax.xaxis for ax in fig.axes]


def adding():
    rows = [
        {"cell": cell, "length": t, "mean_mse": mse * t, "baseline_mse": 0.17}
        for cell, mse in (("rnn", 0.01), ("gru", 0.001))
        for t in (3, 7, 12)
    ]
    fig = draw_adding(rows)
    return fig, [fig.axes[0].xaxis]


def loss():
    records = [{"step": s, "split": "train", "loss": 3.0 / s} for s in (1, 2, 3)]
    records.append({"step": 3, "split": "valid", "loss": 1.5})
    fig = draw_loss(records, "lm")
    return fig, [fig.axes[0].xaxis]


def confusion():
    labels = ["ham", "spam", "a rather long class name"]
    fig = draw_confusion(torch.tensor([[5, 1, 0], [2, 7, 1], [0, 0, 3]]), labels, "valid")
    return fig, [fig.axes[0].xaxis, fig.axes[0].yaxis]


def attention():
    weights = np.random.default_rng(0).dirichlet(np.ones(5), size=4)  # (T, S)
    src = ["▁a", "▁little", "▁girl", ".", "<eos>"]
    fig = attention_heatmap(weights, src, ["▁une", "▁fille", ".", "<eos>"])
    return fig, [fig.axes[0].xaxis, fig.axes[0].yaxis]


def embeddings():
    kv = KeyedVectors(3)
    words = ["monday", "friday", "stock", "shares", "president"]
    vectors = np.random.default_rng(0).normal(size=(len(words), 3)).astype(np.float32)
    kv.add_vectors(words, vectors)
    return word_vectors.draw(kv, words), []


def bleu_by_length():
    result = {
        "buckets": ["1-5", "6-10", "11+"],
        "counts": [3, 40, 0],
        "runs": [
            {"name": "none (none)", "bleu": [20.0, 15.0, None]},
            {"name": "att (bahdanau)", "bleu": [40.0, 35.0, None]},
        ],
    }
    fig = bottleneck.draw(result)
    return fig, [fig.axes[0].xaxis]


FIGURES: dict[str, Callable] = {
    "hello": hello,
    "gradients": gradients,
    "adding": adding,
    "loss": loss,
    "confusion": confusion,
    "attention": attention,
    "embeddings": embeddings,
    "bottleneck": bleu_by_length,
}


def is_colorbar(ax) -> bool:
    return getattr(ax, "_colorbar", None) is not None


def visible_ticks(axis) -> list[float]:
    """Tick positions inside the axis' view limits (the locator may add some outside)."""
    lo, hi = sorted(axis.get_view_interval())
    return [t for t in axis.get_ticklocs() if lo - 1e-9 <= t <= hi + 1e-9]


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels from the PNG header; fails unless the whole file decodes."""
    from matplotlib.image import imread

    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    assert imread(path).shape[:2] == (height, width)
    return width, height


@pytest.fixture(scope="module", params=list(FIGURES))
def drawn(request):
    """(name, figure, the axes that count things) for each figure function, drawn once."""
    return request.param, *FIGURES[request.param]()


def test_every_axes_has_a_title_and_axis_labels(drawn):
    name, fig, _ = drawn
    suptitle = fig._suptitle.get_text() if fig._suptitle else ""
    for ax in fig.axes:
        if is_colorbar(ax):
            assert ax.get_ylabel(), f"{name}: a colorbar without a label"
            continue
        assert ax.get_title() or suptitle, f"{name}: an axes without a title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"{name}: {ax.get_title()!r} lacks a label"


def test_index_axes_have_integer_ticks(drawn):
    name, fig, index_axes = drawn
    fig.canvas.draw()
    for axis in index_axes:
        ticks = visible_ticks(axis)
        assert ticks, f"{name}: no ticks on {axis.get_label_text()!r}"
        assert all(float(t).is_integer() for t in ticks), f"{name}: {ticks}"


def test_saved_png_holds_every_artist(drawn, tmp_path):
    name, fig, _ = drawn
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    width, height = fig.get_size_inches()
    tol = 0.02
    assert box.x0 >= -tol and box.y0 >= -tol, f"{name}: an artist lies outside the figure"
    assert box.x1 <= width + tol and box.y1 <= height + tol, f"{name}: an artist lies outside"
    out = plots.save(fig, tmp_path / "sub" / f"{name}.png", dpi=50)
    pad = 2 * plots.PAD_INCHES
    expected = ((box.width + pad) * 50, (box.height + pad) * 50)
    assert all(math.isclose(p, e, abs_tol=2) for p, e in zip(png_size(out), expected)), name
    assert not list(out.parent.glob("*.tmp")), "the temporary file was left behind"


def test_save_names_an_unwritable_path_in_one_line(tmp_path):
    fig, (ax,) = plots.figure(2, 2)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SeqlabError, match="cannot write the plot") as e:
        plots.save(fig, blocker / "x.png")
    assert str(blocker / "x.png") in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(SeqlabError, match=r"x\.nope: cannot write the plot"):
        plots.save(fig, tmp_path / "x.nope")
    assert not list(tmp_path.glob(".*.tmp"))


def test_only_plots_py_knows_matplotlib():
    for path in SRC.rglob("*.py"):
        if path.name == "plots.py":
            continue
        text = path.read_text()
        assert ".savefig(" not in text, path
        assert "import matplotlib" not in text and "from matplotlib" not in text, path


# ------------------------------------------------------------------------------------ Hangul


def korean_hello():
    rng = np.random.default_rng(0)
    walk = [{"input": ch, "h": rng.uniform(-1, 1, size=3).tolist()} for ch in "안녕하세"]
    return draw_hidden({"before": walk, "after": walk[::-1]}, lang="ko")


def korean_attention():
    weights = np.random.default_rng(0).dirichlet(np.ones(4), size=3)  # (T, S)
    src = ["▁오늘", "▁어때", "?", "<eos>"]
    return attention_heatmap(weights, src, ["▁좋아요", ".", "<eos>"], lang="ko")


def korean_confusion():
    labels = ["인사", "음식", "영화"]
    return draw_confusion(torch.tensor([[5, 1, 0], [2, 7, 1], [0, 0, 3]]), labels, "valid")


def korean_embeddings():
    kv = KeyedVectors(3)
    words = ["월요일", "금요일", "주식", "chairman"]
    kv.add_vectors(words, np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    return word_vectors.draw(kv, words)


def korean_panels():
    curves = [plots.Curve("기울기", [0, 1, 2], [1.0, 0.1, 0.01])]
    return plots.draw_panels({"기울기 소실": curves}, "시점 t", "||dL/dh_t||", log_y=True)


KOREAN: dict[str, Callable] = {
    "hello": korean_hello,
    "attention": korean_attention,
    "confusion": korean_confusion,
    "embeddings": korean_embeddings,
    "panels": korean_panels,
}


def missing_glyphs(make: Callable) -> tuple[Figure, list[str]]:
    """Make and draw a figure; matplotlib's "Glyph ... missing from font(s)" warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        fig.canvas.draw()
    return fig, [str(w.message) for w in caught if "missing from font" in str(w.message)]


def korean_font() -> str:
    return plots.hangul_family()[-1]


@pytest.mark.parametrize("name", list(KOREAN))
def test_hangul_labels_draw_with_no_missing_glyph(name, tmp_path):
    fig, missing = missing_glyphs(KOREAN[name])
    assert not missing, f"{name}: {missing[:2]}"
    hangul = [t for t in fig.findobj(Text) if has_hangul(t.get_text())]
    assert hangul, f"{name}: no Hangul text was drawn"
    assert all(t.get_fontfamily()[-1] == korean_font() for t in hangul), name
    latin = [t for t in fig.findobj(Text) if t.get_text() and not has_hangul(t.get_text())]
    assert all(korean_font() not in t.get_fontfamily() for t in latin), name
    png_size(plots.save(fig, tmp_path / f"{name}.png", dpi=50))


def test_the_glyph_check_sees_a_missing_glyph():
    """The same check fails on a figure that is not seqlab's: the warning is what it reads."""

    def plain() -> Figure:
        fig = Figure()
        FigureCanvasAgg(fig)
        fig.suptitle("안녕하세요")
        return fig

    _, missing = missing_glyphs(plain)
    assert missing and "HANGUL SYLLABLE" in missing[0]


def test_figures_without_hangul_keep_the_default_font(drawn):
    name, fig, _ = drawn
    fig.canvas.draw()
    fonts = {f for t in fig.findobj(Text) for f in t.get_fontfamily()}
    assert korean_font() not in fonts, name


def test_the_korean_font_ships_with_a_dependency():
    path = plots.hangul_font_file()
    assert path.name == "NanumGothic.ttf" and path.stat().st_size > 1_000_000
    assert korean_font() == "NanumGothic"
