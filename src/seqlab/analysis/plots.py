"""Every figure seqlab draws is made and saved here (matplotlib on the headless Agg canvas).

Analysis functions build plain data (:class:`Curve` lists, arrays); this module is the only place
that knows matplotlib, and imports it lazily so the rest of seqlab never pays for it.

The pattern in each module is ``draw_*(data) -> Figure`` (inspectable, as the tests do) and
``plot_*(data, path)``, which is ``save(draw_*(data), path)``. Figures come from :func:`figure`:
a ``matplotlib.figure.Figure`` with an Agg canvas and constrained layout, never registered with
pyplot, so no global state holds them once their last reference goes.

Hangul: matplotlib's default font (DejaVu Sans) has no Korean glyphs, so a Korean label would be
drawn as empty boxes. Just before a figure is drawn, every text in it that holds Hangul gets a
font list: the default family first, then NanumGothic (shipped by the ``koreanize-matplotlib``
package) for the glyphs the first lacks. Latin letters and digits are still drawn by the default
font, and a figure without Hangul is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seqlab.data.normalize import has_hangul
from seqlab.errors import SeqlabError

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.colorbar import Colorbar
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage
    from matplotlib.text import Annotation, Text
    from matplotlib.transforms import Bbox

DPI = 110
PAD_INCHES = 0.1  # the margin ``bbox_inches="tight"`` leaves around the drawn artists
HANGUL_FONT_PACKAGE = "koreanize_matplotlib"  # its fonts/ folder holds NanumGothic.ttf


@dataclass(frozen=True)
class Curve:
    """One line on a panel: ``label``, x and y values, a matplotlib line ``style``, ``marker``."""

    label: str
    x: list[float]
    y: list[float]
    style: str = "-"
    marker: str | None = None


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure(
    width: float, height: float, ncols: int = 1, sharey: bool = False
) -> tuple[Figure, list[Axes]]:
    """A ``width`` x ``height`` inch figure with ``ncols`` axes side by side (``sharey``: one y
    range for all). Constrained layout keeps titles, tick labels and colorbars from overlapping.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False, sharey=sharey)[0]
    return fig, list(axes)


@functools.cache
def _figure_class() -> type[Figure]:
    """matplotlib's Figure, giving its Hangul texts a Korean font before each draw."""
    from matplotlib.figure import Figure

    class HangulAwareFigure(Figure):
        def draw(self, renderer) -> None:
            use_hangul_font(self)
            super().draw(renderer)

    return HangulAwareFigure


def hangul_font_file() -> Path:
    """NanumGothic.ttf inside the installed ``koreanize-matplotlib`` package.

    The package is located, never imported: importing it would switch every figure, Korean or
    not, to its font.
    """
    spec = importlib.util.find_spec(HANGUL_FONT_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0], "fonts", "NanumGothic.ttf") if folders else None
    if path is None or not path.is_file():
        raise SeqlabError(
            "no Korean font for Hangul labels; pip install koreanize-matplotlib==0.1.1"
        )
    return path


@functools.cache
def hangul_family() -> tuple[str, ...]:
    """The font list for text with Hangul: the default families, then NanumGothic."""
    import matplotlib
    from matplotlib import font_manager

    path = str(hangul_font_file())
    font_manager.fontManager.addfont(path)
    name = font_manager.FontProperties(fname=path).get_name()
    return (*matplotlib.rcParams["font.family"], name)


def hangul_font(text: Text) -> None:
    """Draw ``text`` with :func:`hangul_family` if it holds Hangul; otherwise leave it alone."""
    if has_hangul(text.get_text()):
        text.set_fontfamily(list(hangul_family()))


def use_hangul_font(fig: Figure) -> None:
    """:func:`hangul_font` on every text of ``fig``: titles, labels, legends, annotations and
    tick labels (made now, so the labels a formatter will draw are there to check)."""
    from matplotlib.text import Text

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            axis.get_ticklabels(which="both")
    for text in fig.findobj(Text):
        hangul_font(text)


def save(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix, PNG if none); returns the path.

    Tight bounding box (nothing clipped), written to a temporary file beside ``path`` and renamed,
    so a reader never sees half a PNG. A pyplot figure is closed afterwards. An unwritable path
    raises a one-line :class:`SeqlabError` naming it.
    """
    out = Path(path)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(
            tmp,
            format=out.suffix[1:].lower() or "png",
            dpi=dpi,
            bbox_inches="tight",
            pad_inches=PAD_INCHES,
        )
        tmp.replace(out)
    except (OSError, ValueError) as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = getattr(e, "strerror", None) or e
        raise SeqlabError(f"{out}: cannot write the plot ({reason})") from None
    finally:
        _close(fig)
    return out


def _close(fig: Figure) -> None:
    """Drop ``fig`` from pyplot's registry if pyplot made it (figures from :func:`figure` are not
    registered, so there is nothing to close)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close(fig)


def integer_ticks(axis: Axis) -> None:
    """Ticks only at whole numbers, for an axis that counts (time step, hidden unit, length),
    spaced 1, 2 or 5 times a power of ten."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def heatmap(
    ax: Axes,
    values: np.ndarray,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    x_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    gamma: float | None = None,
    rotate_x: bool = False,
) -> AxesImage:
    """``values`` (rows, cols) as an image on ``ax``; returns the image (for a colorbar).

    Columns and rows are indices: with ``x_labels`` (cols) or ``y_labels`` (rows) every cell is
    labelled, otherwise the axis gets integer ticks. ``rotate_x`` slants long column labels.
    ``gamma`` maps ``vmin``..``vmax`` to colours through a power (below 1 spreads the small
    values apart, above 1 the large ones); None maps them linearly.
    """
    if gamma is None:
        image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    else:
        from matplotlib.colors import PowerNorm

        norm = PowerNorm(gamma, vmin=vmin, vmax=vmax)
        image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto")
    rows, cols = values.shape
    small = 8 if max(rows, cols) > 12 else 9
    if x_labels is None:
        integer_ticks(ax.xaxis)
    else:
        rotation, ha = (60, "right") if rotate_x else (0, "center")
        ax.set_xticks(range(cols), list(x_labels), rotation=rotation, ha=ha, fontsize=small)
    if y_labels is None:
        integer_ticks(ax.yaxis)
    else:
        ax.set_yticks(range(rows), list(y_labels), fontsize=small)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return image


def colorbar(fig: Figure, image: AxesImage, axes: Axes | list[Axes], label: str) -> Colorbar:
    """A colorbar for ``image`` beside ``axes``, labelled with the quantity the colour shows."""
    bar = fig.colorbar(image, ax=axes, shrink=0.9)
    bar.set_label(label)
    return bar


def label_cells(ax: Axes, texts: Sequence[Sequence[str]], dark: Sequence[Sequence[bool]]) -> None:
    """Write ``texts[i][j]`` in cell (row i, column j) of a heatmap, white where ``dark``."""
    for i, row in enumerate(texts):
        for j, text in enumerate(row):
            color = "white" if dark[i][j] else "black"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=8)


# where a point's label may go, in order of preference: (dx, dy) in points, alignment
LABEL_SPOTS = (
    (4, 3, "left", "bottom"),
    (4, -3, "left", "top"),
    (-4, 3, "right", "bottom"),
    (-4, -3, "right", "top"),
    (0, 5, "center", "bottom"),
    (0, -5, "center", "top"),
)


def labelled_scatter(ax: Axes, points: np.ndarray, labels: Sequence[str]) -> None:
    """points (N, 2) as dots, each labelled; a label goes to the first spot beside its dot that
    covers no other label and no other dot (else the first spot). Call once the title and axis
    labels are set: placement measures the laid-out figure."""
    ax.scatter(points[:, 0], points[:, 1], s=12)
    ax.margins(0.15)  # room for labels beside the outermost dots
    fig = ax.get_figure()
    fig.canvas.draw()  # fixes the layout, so display coordinates hold
    renderer = fig.canvas.get_renderer()
    dots = [_dot_box(ax, x, y) for x, y in points]
    taken = []
    for i, (label, (x, y)) in enumerate(zip(labels, points, strict=True)):
        others = taken + dots[:i] + dots[i + 1 :]
        for spot in LABEL_SPOTS:
            text = _label(ax, label, (x, y), spot)
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in others):
                break
            text.remove()
        else:  # crowded everywhere: the first spot
            box = _label(ax, label, (x, y), LABEL_SPOTS[0]).get_window_extent(renderer)
        taken.append(box)


def _label(ax: Axes, label: str, xy: tuple[float, float], spot: tuple) -> Annotation:
    """``label`` beside the data point ``xy`` at one of :data:`LABEL_SPOTS`."""
    dx, dy, ha, va = spot
    text = ax.annotate(
        label, xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=9
    )
    hangul_font(text)  # measured before the next draw, so in the font it will be drawn with
    return text


def _dot_box(ax: Axes, x: float, y: float, radius: float = 3.0) -> Bbox:
    """The display-space box (pixels) of a scatter dot at data (x, y)."""
    from matplotlib.transforms import Bbox

    cx, cy = ax.transData.transform((x, y))
    return Bbox.from_extents(cx - radius, cy - radius, cx + radius, cy + radius)


def draw_panels(
    panels: dict[str, list[Curve]],
    xlabel: str,
    ylabel: str,
    *,
    log_y: bool = False,
    share_y: bool = False,
    integer_x: bool = False,
    x_ticks: Sequence[float] | None = None,
) -> Figure:
    """Side-by-side panels (title -> curves) in one figure.

    On a log axis, non-positive values are dropped (a zero gradient cannot be drawn).
    ``integer_x`` puts x ticks on whole numbers only; ``x_ticks`` puts them exactly there.
    """
    fig, axes = figure(5.5 * len(panels), 4, ncols=len(panels), sharey=share_y)
    for ax, (title, curves) in zip(axes, panels.items(), strict=True):
        for c in curves:
            points = [(x, y) for x, y in zip(c.x, c.y, strict=True) if not log_y or y > 0]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            ax.plot(xs, ys, c.style, marker=c.marker, label=c.label)
        if log_y:
            ax.set_yscale("log")
        if integer_x:
            integer_ticks(ax.xaxis)
        if x_ticks is not None:
            ax.set_xticks(list(x_ticks))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def plot_panels(
    panels: dict[str, list[Curve]],
    path: str | Path,
    xlabel: str,
    ylabel: str,
    *,
    log_y: bool = False,
    share_y: bool = False,
    integer_x: bool = False,
    x_ticks: Sequence[float] | None = None,
) -> Path:
    """:func:`draw_panels` saved to ``path``; returns the path written."""
    fig = draw_panels(
        panels, xlabel, ylabel, log_y=log_y, share_y=share_y, integer_x=integer_x, x_ticks=x_ticks
    )
    return save(fig, path)
