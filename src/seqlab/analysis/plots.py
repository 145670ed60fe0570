"""Shared plotting helpers for the analysis commands (matplotlib, headless Agg backend).

Analysis functions build plain data (:class:`Curve` lists); this module is the only place that
knows matplotlib, and imports it lazily so the rest of seqlab never pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqlab.errors import SeqlabError


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


def plot_panels(
    panels: dict[str, list[Curve]],
    path: str | Path,
    xlabel: str,
    ylabel: str,
    log_y: bool = False,
    share_y: bool = False,
) -> Path:
    """Side-by-side panels (title -> curves) saved as one PNG; returns the path written.

    On a log axis, non-positive values are dropped (a zero gradient cannot be drawn).
    """
    plt = pyplot()
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4), squeeze=False, sharey=share_y)
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        for c in curves:
            points = [(x, y) for x, y in zip(c.x, c.y, strict=True) if not log_y or y > 0]
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                c.style,
                marker=c.marker,
                label=c.label,
            )
        if log_y:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110)
    except OSError as e:
        raise SeqlabError(f"{out}: cannot write the plot ({e.strerror or e})") from None
    finally:
        plt.close(fig)
    return out


def attention_heatmap(weights, src_labels: list[str], tgt_labels: list[str], path: str) -> None:
    """Attention weights (T, S) as an image: source tokens along x, output tokens along y."""
    plt = pyplot()
    rows, cols = weights.shape
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * cols + 2), max(3, 0.4 * rows + 2)))
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(cols), src_labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(rows), tgt_labels, fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as e:
        raise SeqlabError(f"{path}: cannot write the plot ({e.strerror or e})") from None
    finally:
        plt.close(fig)
