"""Every relative link in README.md and docs/*.md leads somewhere: the file exists and, with an
#anchor, the target has that anchor (an ``<a id="...">`` or a heading's GitHub slug)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    ids = set(re.findall(r'<a id="([^"]+)"', text))
    heads = {slug(m) for m in re.findall(r"^#+ (.+)$", text, re.M)}
    return ids | heads


def local_links(doc: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)
    return [x for x in LINK.findall(text) if not re.match(r"[a-z]+:", x)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for link in local_links(doc):
        target, _, anchor = link.partition("#")
        path = (doc.parent / target).resolve() if target else doc
        if not path.exists():
            broken.append(f"{link}: no file {path.relative_to(REPO)}")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{link}: no anchor #{anchor} in {path.name}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


def test_the_check_sees_a_broken_anchor(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text('# Title\n<a id="here"></a>\n', encoding="utf-8")
    assert {"title", "here"} <= anchors(tmp_path / "a.md")
    assert "there" not in anchors(tmp_path / "a.md")
    assert slug("Training across machines") == "training-across-machines"
