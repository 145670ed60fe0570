"""docs/concepts.md, the map from the lecture to the code, stays true: every path it names
exists, every command it names is a seqlab command, and the README links to it."""

from __future__ import annotations

import re
from pathlib import Path

from seqlab.cli import app

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "concepts.md"


def test_every_path_named_exists() -> None:
    paths = re.findall(r"`((?:src|tests|docs|scripts|configs)/[^`\s]*)`", PAGE.read_text("utf-8"))
    assert len(paths) > 25
    missing = [p for p in paths if not (REPO / p).exists()]
    assert not missing, missing


def test_every_command_named_is_a_seqlab_command() -> None:
    commands = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    named = set(re.findall(r"`seqlab ([a-z]+)", PAGE.read_text("utf-8")))
    assert named and named <= commands, named - commands


def test_the_readme_links_to_it() -> None:
    assert "](docs/concepts.md)" in (REPO / "README.md").read_text("utf-8")
