"""``seqlab --help``: each command's description is one paragraph, wrapped as a whole at the
terminal's width, never broken where its docstring happens to break a line."""

from __future__ import annotations

import os
import subprocess
import sys

from seqlab.cli import app, paragraphs


def _commands(group, path="seqlab"):
    for info in group.registered_commands:
        yield f"{path} {info.name}", info.help or ""
    for sub in group.registered_groups:
        yield from _commands(sub.typer_instance, f"{path} {sub.name}")


def test_every_description_is_whole_paragraphs():
    for command, text in _commands(app):
        assert text, f"{command} has no description"
        for paragraph in text.split("\n\n"):
            assert "\n" not in paragraph, f"{command}: a line break inside {paragraph!r}"


def test_paragraphs_join_hard_breaks_and_keep_blank_lines():
    doc = """Score files: loss and
    bits per token.

    Second paragraph."""
    assert paragraphs(doc) == "Score files: loss and bits per token.\n\nSecond paragraph."


def test_a_wide_terminal_shows_each_command_on_one_line():
    env = {**os.environ, "COLUMNS": "250", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "seqlab", "--help"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    box = done.stdout.split("Commands")[1].splitlines()[1:]
    rows = [line.strip("│ ").rstrip() for line in box if line.startswith("│")]
    names = {info.name for info in app.registered_commands}
    names |= {sub.name for sub in app.registered_groups}
    assert len(rows) == len(names), "\n".join(rows)  # no row continues a description
    for row in rows:
        assert row.split()[0] in names and row.endswith("."), row
