"""The text side of configs: YAML and ``--set a.b=value`` overrides in, one-line problems out.

The sections these dicts become are pydantic models (:mod:`seqlab.config`); here is the text
around them: PyYAML's safe loader, with numbers read the way people write them, and
:func:`describe`, which words pydantic's first problem the way seqlab's errors read
(``model.hidden_size: must be > 0, got -4``).
"""

from __future__ import annotations

import re
import reprlib
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ValidationError

from seqlab.data.io import read_text
from seqlab.errors import ConfigError


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading numbers the way people write them.

    PyYAML follows YAML 1.1, where a float needs a dot: ``5e-3``, ``1e6``, ``1E-4`` and ``-.5``
    stay strings there, and ``lr: 5e-3`` would fail as "expected float, got str". This loader
    adds the YAML 1.2 float syntax (exponent without a dot, a sign before ``.5``). Ints keep
    PyYAML's rules, which already allow underscores (``1_000``); ``true``/``false`` stay bools.
    Text that only starts like a number (``1e5.txt``) stays a string.

    An alias (``*name``) is refused: a config needs none, and a few hundred bytes of nested
    aliases expand to gigabytes (the "billion laughs").
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            problem = f"alias *{event.anchor}: configs take no YAML aliases"
            raise yaml.composer.ComposerError(None, None, problem, event.start_mark)
        return super().compose_node(parent, index)


# YAML 1.2 core-schema floats, plus the underscores PyYAML allows; tried after the int rule, so
# ``12`` is still an int, and only forms YAML 1.1 missed reach it
_FLOAT_1_2 = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?$")
ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_1_2, list("-+0123456789."))


T = TypeVar("T")


def _as_tuple(value: Any) -> Any:
    """A YAML list where a tuple is declared (its items are still checked)."""
    return tuple(value) if isinstance(value, list) else value


TupleOf = Annotated[tuple[T, ...], BeforeValidator(_as_tuple)]  # written as a YAML list


def parse_yaml(text: str) -> Any:
    """Parse YAML text with :class:`ConfigLoader` (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=ConfigLoader)  # a SafeLoader: builds plain data only


def load_yaml(path: str | Path) -> dict:
    """The mapping of sections in config file ``path``; bad YAML names the line."""
    text = read_text(path, what="config file")
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{path}{where}: invalid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections (task, data, model, train)")
    return data


def parse_overrides(items: list[str]) -> dict:
    """``["train.lr=0.002", "model.cell=gru"]`` -> nested dict (values parsed as YAML)."""
    out: dict = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. train.lr=0.002")
        key, raw = item.split("=", 1)
        try:  # a safe loader: a !!python/... tag is an error, never a constructor call
            value = parse_yaml(raw) if raw != "" else ""
        except yaml.YAMLError as e:
            problem = getattr(e, "problem", None) or str(e)
            raise ConfigError(f"--set {key.strip()}: invalid YAML value ({problem})") from None
        node = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: conflicts with another override")
        node[parts[-1]] = value
    return out


def merge(base: dict, over: dict) -> dict:
    """Recursively merge ``over`` into a copy of ``base``."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


# ----------------------------------------------------------------------------- one-line errors

_EXPECTED = {"int": "int", "float": "float", "string": "str", "bool": "bool", "list": "a list"}
_EXPECTED |= {"tuple": "a list", "model": "a mapping", "dict": "a mapping"}


def describe(error: ValidationError, cls: type[BaseModel], base: str = "") -> str:
    """The first problem of ``error`` as ``key.path: what was wrong``."""
    e = error.errors(include_url=False)[0]
    path, field, owner, section = _walk(cls, e["loc"], base)
    kind, value, key = e["type"], _Shown(e.get("input")), path or "config"
    if kind == "extra_forbidden":
        return f"{key}: unknown key; expected one of {', '.join(owner.model_fields)}"
    if kind == "missing":
        return f"{key}: required key is missing"
    if kind == "literal_error":
        choices = re.findall(r"'((?:[^'\\]|\\.)*)'", e["ctx"]["expected"])
        return f"{key}: {value!r} is not valid; expected one of {', '.join(choices)}"
    if kind.removesuffix("_type").removesuffix("_attributes") in _EXPECTED:
        wanted = _EXPECTED[kind.removesuffix("_type").removesuffix("_attributes")]
        got = f"{key}: expected {wanted}, got {type(value.value).__name__} {value!r}"
        number = isinstance(value.value, (int, float)) and not isinstance(value.value, bool)
        quote = wanted == "str" and number
        return got + ("; put the value in quotes to keep it as text" if quote else "")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{key}: must be {_bounds(field)}, got {value}"
    if kind == "finite_number":
        return f"{key}: must be a finite number, got {value}"
    if kind == "value_error":
        message = str(e["ctx"]["error"])
        if section is not None:  # a check across a section's keys names its key itself
            return f"{path}.{message}" if path else message
        return f"{key}: {message}"
    return f"{key}: {e['msg']}"


class _Shown:
    """A value as an error message shows it: its repr (or str) cut to about 200 characters."""

    LIMIT = 200

    def __init__(self, value: Any):
        self.value = value

    def _cut(self, text: str) -> str:
        return text if len(text) <= self.LIMIT else f"{text[: self.LIMIT]}... ({len(text):,} chars)"

    def __repr__(self) -> str:
        return self._cut(_REPR.repr(self.value))  # bounded work, however large the value

    def __str__(self) -> str:
        return self._cut(_REPR.repr(self.value) if not isinstance(self.value, str) else self.value)


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = _Shown.LIMIT, 80, 80


def _walk(cls: type[BaseModel], loc: tuple, base: str) -> tuple[str, Any, Any, Any]:
    """(dotted key, its field, the section holding it, the section it is, if one) of a pydantic
    error location; the names pydantic gives a union's members are not keys and are skipped."""
    names, field, owner, section = [base] if base else [], None, cls, cls
    for part in loc:
        if isinstance(part, int):
            names.append(f"{names.pop() if names else ''}[{part}]")
        elif section is not None:
            owner, field = section, section.model_fields.get(part)
            names.append(part)
            section = _section_of(field.annotation) if field is not None else None
    return ".".join(names), field, owner, section


def _section_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_section_of, getattr(annotation, "__args__", ()))), None)


def _bounds(field: Any) -> str:
    """``> 0``, ``>= 0`` or ``in [0, 1)``: the range a field's metadata declares."""
    b = {
        n: getattr(m, n) for m in field.metadata for n in ("gt", "ge", "lt", "le") if hasattr(m, n)
    }
    low = f"[{b['ge']}" if "ge" in b else f"({b['gt']}" if "gt" in b else None
    high = f"{b['le']}]" if "le" in b else f"{b['lt']})" if "lt" in b else None
    if low and high:
        return f"in {low}, {high}"
    op = next(iter(b))
    return f"{dict(gt='>', ge='>=', lt='<', le='<=')[op]} {b[op]}"
