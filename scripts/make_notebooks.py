"""Write notebooks/tour.en.ipynb and notebooks/tour.ko.ipynb: the tours as notebooks.

    python scripts/make_notebooks.py [--execute] [--scale S] [--out DIR] [--check]

Each notebook is the tour's text (make_tour.ENGLISH and make_tour.KOREAN: headings, the lecture's
topic, what to notice, the glossary where the tour has one) around the code cells of
tour_notebook.py, which call seqlab from Python. --execute runs each notebook in a Jupyter kernel
of this Python (nbclient), at SEQLAB_NOTEBOOK_SCALE=S (default 1), and stores its outputs; without
it the cells are written with no outputs; --out writes them to DIR instead of notebooks/ (as the
test does). --check runs nothing and fails unless the stored notebooks' cells are what the text
makes (tests/docs/test_notebooks.py), so a tour and its notebook cannot drift.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from make_tour import ENGLISH, KOREAN, REPO, Tour
from tour_notebook import CELLS, INTRO, NOTES, SETUP

NOTEBOOKS: dict[str, tuple[Tour, Path]] = {
    "en": (ENGLISH, REPO / "notebooks" / "tour.en.ipynb"),
    "ko": (KOREAN, REPO / "notebooks" / "tour.ko.ipynb"),
}
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def build(lang: str) -> nbformat.NotebookNode:
    """The notebook of ``lang`` with no outputs: Markdown from the tour, code from CELLS."""
    tour, _ = NOTEBOOKS[lang]
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(f"# {tour.heading}\n\n{INTRO[lang]}"), v4.new_code_cell(SETUP)]
    for number, (title, topic, _, notice) in enumerate(tour.sections, start=1):
        cells.append(v4.new_markdown_cell(f"## {title}\n\n*{tour.lecture}* {topic}"))
        if number in NOTES[lang]:
            cells.append(v4.new_markdown_cell(NOTES[lang][number]))
        cells += [v4.new_code_cell(source) for source in CELLS[lang][number]]
        cells.append(v4.new_markdown_cell(f"*{tour.notice}* {notice}"))
    if tour.glossary:
        cells.append(v4.new_markdown_cell(tour.glossary))
    for index, cell in enumerate(cells):
        cell["id"] = f"{lang}-{index:02d}"  # stable ids: regenerating changes nothing
    return v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL})


def execute(notebooks: list[nbformat.NotebookNode], scale: float, timeout: int = 900) -> None:
    """Run every cell of each notebook in its own fresh kernel of this Python and its own
    temporary folder, the notebooks side by side, at ``scale``; raises nbclient's
    CellExecutionError on the first cell that fails."""
    from nbclient import NotebookClient

    os.environ["SEQLAB_NOTEBOOK_SCALE"] = str(scale)
    os.environ["PYTHONWARNINGS"] = "ignore"
    with contextlib.ExitStack() as stack:
        folders = [stack.enter_context(tempfile.TemporaryDirectory()) for _ in notebooks]
        clients = [
            NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": d}}
            )
            for nb, d in zip(notebooks, folders, strict=True)
        ]

        async def run_all() -> None:
            await asyncio.gather(*(client.async_execute() for client in clients))

        asyncio.run(run_all())


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def check() -> int:
    """0 when every stored notebook has exactly the cells the text makes."""
    for lang, (_, path) in NOTEBOOKS.items():
        if not path.exists():
            print(f"{path.name} is missing; run python scripts/make_notebooks.py --execute")
            return 1
        stored = nbformat.read(path, as_version=4)
        if sources(stored) != sources(build(lang)):
            print(f"{path.name} is out of date; run python scripts/make_notebooks.py --execute")
            return 1
        if any(cell.cell_type == "code" and not cell.outputs for cell in stored.cells):
            print(f"{path.name} has a cell without outputs; run it with --execute")
            return 1
    return 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--execute", action="store_true", help="run the notebooks, store outputs")
    ap.add_argument("--scale", type=float, default=1.0, help="SEQLAB_NOTEBOOK_SCALE to run at")
    ap.add_argument("--check", action="store_true", help="run nothing; fail if one is stale")
    ap.add_argument("--lang", choices=("en", "ko", "both"), default="both")
    ap.add_argument("--out", type=Path, default=None, help="folder to write to (notebooks/)")
    args = ap.parse_args()
    if not args.scale > 0:  # as scripts/scale.sh refuses it for the demos
        ap.error(f"--scale {args.scale}: expected a positive number (1: the stored outputs)")
    if args.check:
        sys.exit(check())
    langs = ("en", "ko") if args.lang == "both" else (args.lang,)
    notebooks = [build(lang) for lang in langs]
    if args.execute:
        start = time.monotonic()
        execute(notebooks, args.scale)
        print(f"ran in {time.monotonic() - start:.0f} s", file=sys.stderr)
    for lang, nb in zip(langs, notebooks, strict=True):
        path = NOTEBOOKS[lang][1]
        if args.out is not None:
            path = args.out / path.name
        path.parent.mkdir(exist_ok=True)
        nbformat.write(nb, path)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
