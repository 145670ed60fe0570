"""How API results show themselves in a notebook: small HTML tables and inline PNG figures.

Jupyter calls ``_repr_html_`` (or ``_repr_png_``) on the last value of a cell; a terminal prints
``repr``. The results of :mod:`seqlab.api.results` build their HTML from these helpers.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seqlab.analysis import plots


def png(fig: plots.Figure) -> bytes:
    """``fig`` as PNG bytes, drawn as :func:`seqlab.analysis.plots.save` draws every figure."""
    with tempfile.TemporaryDirectory(prefix="seqlab-figure-") as folder:
        return plots.save(fig, Path(folder) / "figure.png").read_bytes()


def image(data: bytes) -> str:
    """An ``<img>`` holding PNG ``data`` inline, so a saved notebook shows it without files."""
    return f'<img src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}"/>'


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """An HTML table of ``rows`` (each value escaped), with an optional caption."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pre(text: str) -> str:
    """``text`` in a ``<pre>`` block, escaped."""
    return f"<pre>{html.escape(text)}</pre>"
