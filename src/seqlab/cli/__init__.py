"""The ``seqlab`` command line: a thin typer app over library functions.

Each command group lives in its own module with a ``register(app)`` function. ``main`` sorts
whatever stops a command into one of four outcomes, and never shows a traceback for bad input:

- a usage error (unknown option, missing argument, a value of the wrong type): a
  ``usage: seqlab CMD ...`` line and one ``error:`` line, exit status 2;
- a :class:`~seqlab.errors.SeqlabError` (bad input the user can fix): one ``error:`` line, 2
  (a decoding option's error names its flag too: ``n_best (--n-best): ...``);
- Ctrl-C: ``interrupted``, 130;
- anything else is a bug: one line, ``error: internal error in 'seqlab CMD': Type: message; the
  full traceback is in PATH``, exit status 1.

The traceback file goes in the command's run directory when it has one (a ``run`` or
``--resume`` directory, or the ``out_dir`` of the config being trained), else in
``$TMPDIR/seqlab-errors/``. ``SEQLAB_DEBUG=1`` prints the traceback instead. A bare ``seqlab``
(or ``seqlab diagnose``) prints the help and exits 2, as typer does.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import platform
import shlex
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
import typer.main

# typer 0.29 vendors click as ``typer._click`` and no longer installs ``click``. Its public names
# cover BadParameter, Abort and Exit only, so the usage-error classes come from the vendored module.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from seqlab import __version__
from seqlab.cli import (
    average,
    config,
    diagnose,
    embed,
    evaluate,
    explain,
    export,
    generate,
    params,
    predict,
    serve,
    tensorboard,
    tokenize,
    train,
    translate,
    version,
)
from seqlab.config import parse_overrides
from seqlab.decode.limits import OptionError
from seqlab.errors import SeqlabError
from seqlab.extras import missing_extra
from seqlab.tasks import load_run_config

app = typer.Typer(
    name="seqlab",
    help="Recurrent sequence models: train, evaluate, generate, explain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# command modules, in help order; each defines register(app)
_COMMAND_MODULES = (
    version,  # the --version option
    train,
    tensorboard,
    average,
    evaluate,
    generate,
    translate,
    predict,
    serve,
    export,
    params,
    explain,
    tokenize,
    diagnose,
    embed,
    config,
)


@dataclass(frozen=True)
class Invocation:
    """The command being run (``"seqlab embed train"``) and its parsed parameters."""

    command: str
    params: dict[str, Any]


# set by every command as it starts, so that main can say which command failed and find its run
_invocation: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar(
    "seqlab_invocation", default=None
)


def _recorded(command: str, callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback``, noting first which command runs with which parameters.

    ``functools.wraps`` keeps the signature, from which typer builds the options.
    """

    @functools.wraps(callback)
    def record_then_run(**params: Any) -> Any:
        _invocation.set(Invocation(command, params))
        return callback(**params)

    return record_then_run


def _record_invocations(group: typer.Typer, path: str) -> None:
    """Wrap every command of ``group`` and of its subgroups with :func:`_recorded`."""
    for info in group.registered_commands:
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        info.callback = _recorded(f"{path} {name}", info.callback)
    for sub in group.registered_groups:
        name = sub.name or sub.typer_instance.info.name
        _record_invocations(sub.typer_instance, f"{path} {name}")


def paragraphs(text: str) -> str:
    """A docstring as help text: its hard line breaks joined, so the help wraps each paragraph
    as a whole at the terminal's width; blank lines still part paragraphs."""
    blocks = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(block.split()) for block in blocks)


def _wrap_help(group: typer.Typer) -> None:
    """Give every command of ``group`` (and of its subgroups) its docstring as paragraphs."""
    for info in group.registered_commands:
        text = info.help or inspect.getdoc(info.callback)
        if text:
            info.help = paragraphs(text)
    for sub in group.registered_groups:
        if sub.typer_instance.info.help:
            sub.typer_instance.info.help = paragraphs(sub.typer_instance.info.help)
        _wrap_help(sub.typer_instance)


for _module in _COMMAND_MODULES:
    _module.register(app)
_wrap_help(app)
_record_invocations(app, "seqlab")


def main(argv: list[str] | None = None) -> None:
    """Run the ``seqlab`` command line on ``argv`` (default: ``sys.argv[1:]``).

    Returns normally on success; otherwise exits with the status in the module docstring.
    """
    _invocation.set(None)
    try:
        # not standalone, so that errors reach the handlers below instead of typer's printing;
        # typer then returns the status of ``--help`` (0), typer.Exit(n) (n) or Ctrl-C (130)
        status = app(args=argv, prog_name="seqlab", standalone_mode=False)
    except NoArgsIsHelpError as e:
        e.show()
        sys.exit(e.exit_code)
    except UsageError as e:
        _print_usage_error(e)
        sys.exit(e.exit_code)
    except ClickException as e:
        _print_error(e.format_message())
        sys.exit(e.exit_code)
    except OptionError as e:  # a decoding option, named as the library names it
        _print_error(e.spelled(f"{e.option} ({_flag(e.option)})"))
        sys.exit(2)
    except SeqlabError as e:
        _print_error(str(e))
        sys.exit(2)
    except typer.Abort:
        _print_error("aborted")
        sys.exit(1)
    except KeyboardInterrupt:
        status = 130
    except ModuleNotFoundError as e:  # an optional extra (seqlab[serve], ...) not installed
        invocation = _invocation.get()
        missing = missing_extra(e, invocation.command if invocation else "seqlab")
        if missing is None:  # a module no extra installs: a bug, reported as one
            _report_internal_error(e, sys.argv[1:] if argv is None else argv)
            sys.exit(1)
        _print_error(str(missing))
        sys.exit(2)
    except Exception as e:
        _report_internal_error(e, sys.argv[1:] if argv is None else argv)
        sys.exit(1)
    if status == 130:
        print("interrupted", file=sys.stderr)
    if isinstance(status, int) and status:
        sys.exit(status)


def _flag(option: str) -> str:
    """The command-line spelling of a library option: ``n_best`` -> ``--n-best``."""
    return "--" + option.replace("_", "-")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _print_error(message: str) -> None:
    print(f"error: {_one_line(message)}", file=sys.stderr)


def _print_usage_error(e: UsageError) -> None:
    """``usage: seqlab CMD [OPTIONS] ARGS`` and ``error: <what was wrong> (see ... --help)``."""
    message = _one_line(e.format_message()).removesuffix(".")
    message = message[:1].lower() + message[1:]
    if e.ctx is None:
        _print_error(message)
        return
    command = e.ctx.command_path
    pieces = " ".join(e.ctx.command.collect_usage_pieces(e.ctx))
    print(f"usage: {command} {pieces}", file=sys.stderr)
    _print_error(f"{message} (see '{command} --help')")


def _report_internal_error(error: Exception, argv: list[str]) -> None:
    """One line naming the failed command and the file holding the traceback (or print it)."""
    invocation = _invocation.get()
    command = invocation.command if invocation is not None else "seqlab"
    if os.environ.get("SEQLAB_DEBUG", "") not in ("", "0"):
        traceback.print_exception(error)
        return
    report = _crash_report(error, argv)
    path = _write_report(report, _run_dir(invocation))
    summary = _one_line(f"{type(error).__name__}: {error}")
    if path is None:  # nowhere to write it: the traceback is better on screen than lost
        print(report, file=sys.stderr, end="")
        _print_error(f"internal error in '{command}': {summary}")
        return
    _print_error(f"internal error in '{command}': {summary}; the full traceback is in {path}")


def _crash_report(error: Exception, argv: list[str]) -> str:
    """The text of a traceback file: what was run, where, and the traceback."""
    torch = sys.modules.get("torch")  # already imported by any command that can fail in it
    lines = [
        f"command: seqlab {shlex.join(argv)}",
        f"time: {datetime.now().isoformat(timespec='seconds')}",
        f"cwd: {os.getcwd()}",
        f"seqlab {__version__}, python {platform.python_version()}, "
        f"torch {getattr(torch, '__version__', 'not imported')}, {platform.platform()}",
        "",
        *traceback.format_exception(error),
    ]
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def _run_dir(invocation: Invocation | None) -> Path | None:
    """The run directory of the failed command, if it has one that exists."""
    if invocation is None:
        return None
    params = invocation.params
    for name in ("run", "resume"):
        if isinstance(params.get(name), (str, Path)) and Path(params[name]).is_dir():
            return Path(params[name])
    if isinstance(params.get("config"), (str, Path)):
        try:
            config = load_run_config(params["config"], parse_overrides(params.get("set_") or []))
        except Exception:  # the config itself may be what failed; fall back to the temp dir
            return None
        if Path(config.out_dir).is_dir():
            return Path(config.out_dir)
    return None


def _write_report(report: str, run_dir: Path | None) -> Path | None:
    """Write ``report`` into ``run_dir``, else ``$TMPDIR/seqlab-errors``; its path, or None."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in (run_dir, Path(tempfile.gettempdir()) / "seqlab-errors"):
        if folder is None:
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f"seqlab-error-{stamp}-", suffix=".txt", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(report)
            return Path(name)
        except OSError:
            continue
    return None
