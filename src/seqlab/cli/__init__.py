"""The ``seqlab`` command line: a thin typer app over library functions.

Each command group lives in its own module with a ``register(app)`` function. ``main`` turns a
:class:`~seqlab.errors.SeqlabError` into a one-line ``error: ...`` message and exit status 2.
"""

from __future__ import annotations

import sys

import typer

from seqlab.cli import (
    diagnose,
    embed,
    evaluate,
    explain,
    generate,
    params,
    predict,
    train,
    translate,
)
from seqlab.errors import SeqlabError

app = typer.Typer(
    name="seqlab",
    help="Recurrent sequence models: train, evaluate, generate, explain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# command modules, in help order; each defines register(app)
for _module in (train, evaluate, generate, translate, predict, params, explain, diagnose, embed):
    _module.register(app)


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, standalone_mode=False)
    except SeqlabError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:  # click usage errors and the like
        import click

        if isinstance(e, click.exceptions.ClickException):
            e.show()
            sys.exit(e.exit_code)
        if isinstance(e, click.exceptions.Abort):
            sys.exit(1)
        raise
