"""Usage errors and bugs never end in a traceback: a table built from the typer app itself.

Every command (nested groups included) is enumerated from ``seqlab.cli.app``, so a command added
later is covered without editing this file. For each: a missing required argument or option, an
unknown option, a bad value for an int/float option, and ``--help``.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer.core
import typer.main

import seqlab
from seqlab.cli import app, main

BOGUS = "--bogus"


def _walk(command, path: tuple[str, ...] = ()):
    """Yield ``(path, click command)`` for every group and command under ``command``."""
    yield path, command
    if isinstance(command, typer.core.TyperGroup):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


TREE = list(_walk(typer.main.get_command(app)))
GROUPS = [path for path, c in TREE if isinstance(c, typer.core.TyperGroup)]
COMMANDS = [(path, c) for path, c in TREE if not isinstance(c, typer.core.TyperGroup)]


def _annotation(command, name: str):
    """The Python type of parameter ``name``, ``X | None`` read as ``X``."""
    tp = inspect.signature(command.callback, eval_str=True).parameters[name].annotation
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if len(args) == 1 else tp


def _dummy_arguments(command) -> list[str]:
    return ["x" for p in command.params if p.param_type_name == "argument" and p.required]


def _cases():
    """``(id, argv, text the error must contain)`` for every command."""
    for path, command in COMMANDS:
        name = " ".join(("seqlab", *path))
        arguments = [p for p in command.params if p.param_type_name == "argument" and p.required]
        if arguments:
            yield f"{name}: missing argument", list(path), "missing argument"
        options = [p for p in command.params if p.param_type_name == "option" and p.required]
        if options:
            argv = [*path, *_dummy_arguments(command)]
            yield f"{name}: missing option", argv, f"missing option '{options[0].opts[0]}'"
        yield f"{name}: unknown option", [*path, BOGUS], f"no such option: {BOGUS}"
        numeric = [
            p
            for p in command.params
            if p.param_type_name == "option" and _annotation(command, p.name) in (int, float)
        ]
        if numeric:
            option = numeric[0].opts[0]
            yield f"{name}: bad {option}", [*path, option, "abc"], f"invalid value for '{option}'"
    for path in GROUPS:
        name = " ".join(("seqlab", *path))
        yield f"{name}: unknown command", [*path, "nosuchcommand"], "no such command"
        yield f"{name}: unknown option", [*path, BOGUS], f"no such option: {BOGUS}"


CASES = list(_cases())


def _exit_status(argv: list[str]) -> int:
    """Run ``seqlab argv`` in-process; its exit status (0 when main returns)."""
    try:
        main(argv)
    except SystemExit as e:
        return e.code
    return 0


def test_the_table_covers_nested_groups_and_every_case():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"train", "generate", "diagnose gradients", "embed train", "embed eval"} <= names
    assert ("diagnose",) in GROUPS and ("embed",) in GROUPS
    kinds = {case_id.split(": ")[1].split(" ")[0] for case_id, _, _ in CASES}
    assert kinds == {"missing", "unknown", "bad"}


@pytest.mark.parametrize("argv,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_usage_error_is_two_lines_and_exit_2(argv, expected, capsys):
    assert _exit_status(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = (out + err).splitlines()
    assert 1 <= len(lines) <= 3, lines
    assert err.startswith("usage: seqlab") and lines[-1].startswith("error: ")
    assert expected in lines[-1]


@pytest.mark.parametrize(
    "path", [p for p, _ in TREE], ids=[" ".join(("seqlab", *p)) for p, _ in TREE]
)
def test_help_exits_0(path, capsys):
    assert _exit_status([*path, "--help"]) == 0
    assert "Usage: seqlab" in capsys.readouterr().out


@pytest.mark.parametrize("path", GROUPS, ids=[" ".join(("seqlab", *p)) for p in GROUPS])
def test_bare_group_prints_its_help(path, capsys):
    assert _exit_status(list(path)) == 2
    out, err = capsys.readouterr()
    assert "Usage: seqlab" in out + err and "Traceback" not in out + err


def _python_m_seqlab(*args: str, **env: str) -> subprocess.CompletedProcess:
    src = str(Path(seqlab.__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "seqlab", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path, **env},
        timeout=120,
    )


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["generate"], "missing argument"),
        (["train", "--nosuchopt"], "no such option: --nosuchopt"),
        (["generate", "RUN", "--length", "abc"], "invalid value for '--length'"),
    ],
)
def test_entry_point_reports_usage_errors(argv, expected):
    done = _python_m_seqlab(*argv)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("usage: seqlab") and expected in lines[1]


def test_entry_point_help_exits_0():
    done = _python_m_seqlab("--help")
    assert done.returncode == 0 and "Usage: seqlab" in done.stdout
