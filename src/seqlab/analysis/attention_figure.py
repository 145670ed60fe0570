"""The attention heatmap of a seq2seq model: where each output token looked in the source.

Size: every column is wide enough for its source token written horizontally (a Hangul
syllable counts as two Latin letters), so the figure grows with the number of tokens and with
their length, and never shrinks below ``MIN_WIDTH`` x ``MIN_HEIGHT`` inches. A token too long
for the widest column is wrapped onto a second line rather than slanted.

Colour: a weakly trained chatbot may spread its attention almost evenly, every weight within a
few hundredths of 1/S; on a fixed 0..1 scale that is one flat colour. A trained translator puts
most of each row on one token, and its many small weights all look black. So the scale runs from
the smallest to the largest weight in the figure, bent by a power (gamma) chosen so that the
median weight gets the middle colour: half the cells are darker than it, half lighter, and small
differences where most weights lie get colours of their own. The colour bar gives the values; a
small matrix also has each weight written in its cell.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

import numpy as np

from seqlab.analysis import plots
from seqlab.analysis.plot_words import words

MIN_WIDTH, MIN_HEIGHT = 6.0, 4.5  # inches
ROW_HEIGHT = 0.45  # inches per output token
UNIT = 0.07  # inches per half-width character of a tick label (9 pt); a Hangul syllable is two
MIN_COLUMN, MAX_COLUMN = 0.6, 1.2  # inches per source token
COLUMN_PAD = 0.2  # inches between neighbouring column labels
MARGINS = (2.8, 2.2)  # inches around the cells: tick labels, axis labels, title, colour bar
GAMMAS = (1 / 3, 3.0)  # the least and the most the colour scale is bent
BAR_TICKS = 5  # ticks on the colour bar, evenly spaced in colour
WRITE_WEIGHTS_UP_TO = 15  # cells get their weight written when T and S are both at most this


def attention_heatmap(
    weights: np.ndarray,
    src_labels: Sequence[str],
    tgt_labels: Sequence[str],
    title: str | None = None,
    *,
    lang: str = "en",
) -> plots.Figure:
    """weights (T, S): output tokens down the rows, source tokens along the columns, labelled in
    ``lang`` ("en" or "ko"; the tokens themselves are never translated). ``title`` defaults to
    "attention weights" in that language."""
    text = words(lang)
    rows, cols = weights.shape
    column = column_width(src_labels)
    width = max(MIN_WIDTH, cols * column + MARGINS[0])
    fig, (ax,) = plots.figure(width, max(MIN_HEIGHT, rows * ROW_HEIGHT + MARGINS[1]))
    low, high, gamma = colour_scale(weights)
    image = plots.heatmap(
        ax,
        weights,
        title=title or text["attention_title"],
        xlabel=text["source_token"],
        ylabel=text["output_token"],
        x_labels=[wrap(label, column) for label in src_labels],
        y_labels=tgt_labels,
        vmin=low,
        vmax=high,
        gamma=gamma,
    )
    if max(rows, cols) <= WRITE_WEIGHTS_UP_TO:
        texts = [[f"{w:.2f}" for w in row] for row in weights.tolist()]
        plots.label_cells(ax, texts, (image.norm(weights) < 0.5).tolist())  # viridis: dark below
    bar = plots.colorbar(fig, image, ax, text["attention_bar"])
    ticks = colour_ticks(low, high, gamma)
    bar.set_ticks([value for value, _ in ticks], labels=[label for _, label in ticks])
    return fig


def colour_scale(weights: np.ndarray) -> tuple[float, float, float]:
    """(low, high, gamma): colours span ``weights``' smallest to largest value, a weight w at
    ((w - low) / (high - low)) ** gamma along the colour map, with gamma putting the median
    weight in the middle (within GAMMAS). One flat value gets the plain linear 0..1 scale."""
    low, high = float(weights.min()), float(weights.max())
    if high - low < 1e-6:
        return 0.0, max(1.0, high), 1.0
    middle = (float(np.median(weights)) - low) / (high - low)  # where the median sits, 0..1
    middle = min(max(middle, 1e-9), 1 - 1e-9)
    gamma = min(max(math.log(0.5) / math.log(middle), GAMMAS[0]), GAMMAS[1])
    return low, high, gamma


def colour_ticks(low: float, high: float, gamma: float) -> list[tuple[float, str]]:
    """(value, text) at even steps along the colour bar, as few decimals as keep them apart."""
    values = [low + (high - low) * (k / (BAR_TICKS - 1)) ** (1 / gamma) for k in range(BAR_TICKS)]
    for decimals in range(2, 6):
        texts = [f"{v:.{decimals}f}" for v in values]
        if len(set(texts)) == len(texts):
            break
    return list(zip(values, texts, strict=True))


def display_units(label: str) -> int:
    """How many half-width characters ``label`` spans: wide (Hangul, CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)


def column_width(labels: Sequence[str]) -> float:
    """Inches per column: room for the longest label, between MIN_COLUMN and MAX_COLUMN."""
    longest = max((display_units(label) for label in labels), default=0)
    return min(MAX_COLUMN, max(MIN_COLUMN, longest * UNIT + COLUMN_PAD))


def wrap(label: str, column: float) -> str:
    """``label`` broken into lines that fit a ``column`` inches wide (a token is cut anywhere:
    it has no spaces to break at)."""
    room = max(1, int((column - COLUMN_PAD) / UNIT))
    lines, line = [], ""
    for ch in label:
        if line and display_units(line + ch) > room:
            lines.append(line)
            line = ""
        line += ch
    return "\n".join([*lines, line])
