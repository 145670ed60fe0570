"""seqlab.schema.json is the JSON Schema ``seqlab config schema`` prints, and every shipped
config names it and passes it, so an editor checks keys as they are typed."""

from __future__ import annotations

import json

import jsonschema
import pytest
from tests.conftest import REPO

from seqlab.cli import main
from seqlab.cli.config import schema_text
from seqlab.config import parse_yaml

SCHEMA_FILE = REPO / "seqlab.schema.json"
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
HEADER = "# yaml-language-server: $schema=../seqlab.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = jsonschema.Draft202012Validator
    return schema(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_the_committed_schema_is_what_the_command_prints(capsys):
    main(["config", "schema"])
    printed = capsys.readouterr().out
    assert printed == schema_text()
    assert SCHEMA_FILE.read_text(encoding="utf-8") == printed, (
        "seqlab.schema.json is out of date: run seqlab config schema > seqlab.schema.json"
    )


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_names_the_schema_and_passes_it(path, validator):
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    errors = [
        f"{'.'.join(map(str, e.path))}: {e.message}"
        for e in validator.iter_errors(parse_yaml(text))
    ]
    assert not errors, errors


@pytest.mark.parametrize(
    "change",
    [
        {"model": {"hiden_size": 3}},  # an unknown key
        {"train": {"lr": "fast"}},  # a wrong type
        {"model": {"cell": "transformer"}},  # not a choice
        {"model": {"dropout": 1.5}},  # out of range
        {"task": "paint"},
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(change, validator):
    config = parse_yaml((REPO / "configs" / "char_demo.yaml").read_text(encoding="utf-8"))
    for key, value in change.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) else value
    assert not validator.is_valid(config)
