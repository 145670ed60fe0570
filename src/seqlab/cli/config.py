"""``seqlab config``: the run config's JSON Schema, for editors that check and complete keys.

    seqlab config schema > seqlab.schema.json

A config file whose first line is ``# yaml-language-server: $schema=../seqlab.schema.json``
is then checked as it is typed (the YAML extension of VS Code, and other editors speaking the
YAML language server).
"""

from __future__ import annotations

import json

import typer

from seqlab.tasks import run_config_schema

config_app = typer.Typer(
    help="Config files: print the JSON Schema that editors use to check and complete keys.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


def schema_text() -> str:
    """The JSON Schema of a run config, as ``seqlab config schema`` prints it."""
    return json.dumps(run_config_schema(), indent=2, ensure_ascii=False) + "\n"


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a run config (every task's sections, defaults and ranges)."""
    typer.echo(schema_text(), nl=False)
