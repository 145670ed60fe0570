"""Write docs/reliability.md: every bad input seqlab is tested against, from the tests themselves.

    python scripts/make_reliability.py [--check]

Each test marked ``@pytest.mark.bad_input(kind=..., command=..., outcome=...)`` becomes one row;
the test is named beside it, so the table says nothing the tests do not prove. ``--check`` exits
1 if the file is out of date (the test suite runs it that way).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "reliability.md"

#: the order of the table: the twelve kinds of bad input, then the other guarded cases
KINDS = (
    "empty file",
    "no final newline",
    "invalid UTF-8",
    "wrong column count",
    "unaligned parallel files",
    "unknown label",
    "invalid IOB",
    "a huge line",
    "unknown config key",
    "wrong type",
    "missing file",
    "zero-length sequence",
    "run directory",
    "checkpoint",
    "pickle",
    "resume",
    "export",
)

HEADER = """# Reliability: what seqlab does with bad input

Every row is a test (named in the last column) that feeds seqlab one kind of bad input through
the command line or the library, and checks what it answers. A user error is one line,
`error: ...`, naming the file (and line, or config key) and what was expected, with exit status 2;
a bug is one line with the path of a file holding its traceback, exit status 1 (`SEQLAB_DEBUG=1`
prints it instead). No file a user gives seqlab can run code: there is no pickle, and
`torch.load` is never called.

This page is written by `python scripts/make_reliability.py` from the tests' `bad_input` marks;
the test suite fails when it is out of date.

| kind | what was tried | what seqlab does | test |
|---|---|---|---|
"""


def _text(node: ast.expr) -> str:
    value = ast.literal_eval(node)
    return " ".join(str(value).split())


def marks(path: Path) -> list[dict[str, str]]:
    """The bad_input marks of one test file, with the test each belongs to."""
    rows = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test"):
            continue
        for deco in node.decorator_list:
            func = getattr(deco, "func", None)
            name = getattr(func, "attr", None) or getattr(func, "id", None)  # mark.x or x
            if name == "bad_input":
                fields = {k.arg: _text(k.value) for k in deco.keywords}
                test = f"{path.relative_to(REPO).as_posix()}::{node.name}"
                rows.append({**fields, "test": test})
    return rows


def _cell(text: str) -> str:
    """Markdown-safe table cell text."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def table() -> str:
    rows = [row for path in sorted((REPO / "tests").rglob("test_*.py")) for row in marks(path)]
    unknown = sorted({r["kind"] for r in rows} - set(KINDS))
    if unknown:
        raise SystemExit(f"unknown bad_input kind(s) {unknown}; expected one of {KINDS}")
    rows.sort(key=lambda r: (KINDS.index(r["kind"]), r["test"]))
    lines = [
        f"| {r['kind']} | {_cell(r['command'])} | {_cell(r['outcome'])} | `{r['test']}` |"
        for r in rows
    ]
    return HEADER + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = ap.parse_args()
    text = table()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(REPO)} is out of date: run python scripts/make_reliability.py")
            sys.exit(1)
        return
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
