"""Typed, frozen configs loaded from YAML, with ``--set a.b=value`` overrides.

Every config section is a frozen dataclass whose fields carry their defaults and whose
docstring explains them. Loading is strict: an unknown key, a wrong type or an out-of-range
value is a one-line :class:`~seqlab.errors.ConfigError` that names the key, e.g.::

    error: config.yaml: model.hiden_size: unknown key; expected one of cell, embedding_dim, ...
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from seqlab.errors import ConfigError


@dataclass(frozen=True)
class EmbeddingConfig:
    """How token ids become vectors.

    kind: ``learned`` (trained from scratch), ``one_hot`` (fixed identity vectors, size = vocab)
        or ``pretrained`` (seqlab .safetensors, word2vec or GloVe vectors from ``path``).
    path: vectors file for ``pretrained``.
    freeze: keep pretrained vectors fixed during training.
    trust_pickle: also read a gensim ``.kv`` file, which is a Python pickle: loading one can
        run any code it holds, so it is refused unless this is true. Better: convert it once
        with ``seqlab embed convert IN --out OUT.safetensors --trust-pickle``.
    """

    kind: str = "learned"
    path: str | None = None
    freeze: bool = False
    trust_pickle: bool = False

    def __post_init__(self):
        check_choice("kind", self.kind, ("learned", "one_hot", "pretrained"))
        if self.kind == "pretrained" and not self.path:
            raise ConfigError("path: required when embedding.kind is 'pretrained'")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, schedule, evaluation and checkpointing; shared by every task.

    seed: seeds python, numpy and torch; the run is reproducible on CPU.
    batch_type: sentences (``batch_size`` examples per step) | tokens (as many examples as fit
        ``batch_tokens``, cut from length-sorted pools; seq2seq, classify, tag, condgen).
    batch_size: sequences per optimizer step (the *global* batch under DDP).
    batch_tokens: with ``batch_type: tokens``, the padded tokens of one step's batch (global
        under DDP): its examples times its longest example (seq2seq: the longer side).
    epochs / max_steps: stop after this many epochs, or steps if ``max_steps`` > 0.
    time_limit_minutes: also stop (with a final validation) after this wall-clock time, if > 0.
    lr, optimizer (adam | adamw | sgd), weight_decay, momentum (sgd only).
    clip_grad_norm: clip the global gradient norm to this value; 0 disables.
    schedule: constant | cosine | linear (decay to ``min_lr_ratio``·lr over the run) | plateau
        (multiply lr by ``lr_decay`` when validation stops improving); ``warmup_steps`` first.
    eval_every: validate every N steps (0 = at each epoch's end only).
    patience: stop after this many validations without improvement (0 = never).
    metric: the validation metric that picks ``best`` and drives patience and plateau.
    device: auto (CUDA when present) | cpu | cuda | cuda:N.
    precision: fp32 | bf16 (autocast).
    threads: torch.set_num_threads (0 = torch's default).
    log_to: where metrics go: jsonl (``metrics.jsonl``, always written) and, on request,
        tensorboard (event files in ``RUN/tensorboard``; ``pip install 'seqlab[tensorboard]'``).
    """

    seed: int = 1
    batch_type: str = "sentences"
    batch_size: int = 32
    batch_tokens: int = 0
    eval_batch_size: int = 0
    epochs: int = 1
    max_steps: int = 0
    time_limit_minutes: float = 0.0
    lr: float = 2e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    momentum: float = 0.0
    clip_grad_norm: float = 5.0
    schedule: str = "constant"
    warmup_steps: int = 0
    min_lr_ratio: float = 0.0
    lr_decay: float = 0.5
    eval_every: int = 0
    patience: int = 0
    metric: str = "loss"
    log_every: int = 50
    device: str = "auto"
    precision: str = "fp32"
    threads: int = 0
    progress: bool = True
    log_to: tuple[str, ...] = ("jsonl",)

    def __post_init__(self):
        for name in ("batch_size", "epochs"):
            check_positive(f"{name}", getattr(self, name))
        for name in ("max_steps", "warmup_steps", "eval_every", "patience", "threads"):
            check_non_negative(f"{name}", getattr(self, name))
        check_non_negative("eval_batch_size", self.eval_batch_size)
        self._check_batch_type()
        check_non_negative("clip_grad_norm", self.clip_grad_norm)
        check_non_negative("time_limit_minutes", self.time_limit_minutes)
        if self.lr <= 0:
            raise ConfigError(f"lr: must be > 0, got {self.lr}")
        check_choice("optimizer", self.optimizer, ("adam", "adamw", "sgd"))
        check_choice("schedule", self.schedule, ("constant", "cosine", "linear", "plateau"))
        check_choice("precision", self.precision, ("fp32", "bf16"))
        for i, target in enumerate(self.log_to):
            check_choice(f"log_to[{i}]", target, ("jsonl", "tensorboard"))
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay: must be in (0, 1], got {self.lr_decay}")

    def _check_batch_type(self) -> None:
        check_choice("batch_type", self.batch_type, ("sentences", "tokens"))
        check_non_negative("batch_tokens", self.batch_tokens)
        if self.batch_type == "tokens" and not self.batch_tokens:
            raise ConfigError(
                "batch_tokens: required with batch_type tokens (padded tokens per batch, e.g. 2000)"
            )
        if self.batch_type == "sentences" and self.batch_tokens:
            raise ConfigError(
                "batch_tokens: applies only to batch_type tokens; set batch_type: tokens, "
                "or remove batch_tokens"
            )


# ----------------------------------------------------------------------------- validation helpers


def check_positive(key: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{key}: must be > 0, got {value}")


def check_non_negative(key: str, value: float) -> None:
    if value < 0:
        raise ConfigError(f"{key}: must be >= 0, got {value}")


def check_fraction(key: str, value: float, upper_open: bool = True) -> None:
    if not (0 <= value < 1 if upper_open else 0 <= value <= 1):
        raise ConfigError(f"{key}: must be in [0, 1{')' if upper_open else ']'}, got {value}")


def check_choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{key}: {value!r} is not valid; expected one of {', '.join(choices)}")


def check_decompose_hangul(decompose_hangul: bool, tokenizer: str) -> None:
    """``decompose_hangul`` splits characters, so it needs the ``char`` tokenizer."""
    if decompose_hangul and tokenizer != "char":
        raise ConfigError(f"decompose_hangul: needs tokenizer 'char', not {tokenizer!r}")


# ----------------------------------------------------------------------------- loading


class ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader, reading numbers the way people write them.

    PyYAML follows YAML 1.1, where a float needs a dot: ``5e-3``, ``1e6``, ``1E-4`` and ``-.5``
    stay strings there, and ``lr: 5e-3`` would fail as "expected float, got str". This loader
    adds the YAML 1.2 float syntax (exponent without a dot, a sign before ``.5``). Ints keep
    PyYAML's rules, which already allow underscores (``1_000``); ``true``/``false`` stay bools.
    Text that only starts like a number (``1e5.txt``) stays a string.
    """


# YAML 1.2 core-schema floats, plus the underscores PyYAML allows; tried after the int rule, so
# ``12`` is still an int, and only forms YAML 1.1 missed reach it
_FLOAT_1_2 = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?$")
ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_1_2, list("-+0123456789."))


def parse_yaml(text: str) -> Any:
    """Parse YAML text with :class:`ConfigLoader` (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=ConfigLoader)  # a SafeLoader: builds plain data only


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _coerce(key: str, value: Any, tp: Any) -> Any:
    """Check ``value`` against the annotation ``tp``; ints are accepted where floats are."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(key, value, arg)
            except ConfigError as e:
                errors.append(e)
        raise errors[0]
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {type(value).__name__} {value!r}")
        return from_dict(tp, value, prefix=key + ".")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__} {value!r}")
        (item_tp, *_) = typing.get_args(tp) or (Any,)
        items = [_coerce(f"{key}[{i}]", v, item_tp) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        # the text it was written as is gone (1e5 -> 100000.0), so do not guess it back
        raise ConfigError(
            f"{key}: expected str, got {type(value).__name__} {value!r}; "
            "put the value in quotes to keep it as text"
        )
    if tp is int and isinstance(value, bool) or not isinstance(value, tp):
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got {type(value).__name__} {value!r}")
    return value


def from_dict(cls: type, data: dict, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from ``data``, strictly."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}: expected a mapping")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in fields:
            valid = ", ".join(fields)
            raise ConfigError(f"{prefix}{key}: unknown key; expected one of {valid}")
        kwargs[key] = _coerce(prefix + key, value, hints[key])
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{prefix}{missing[0]}: required key is missing")
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise ConfigError(f"{prefix}{e}") from None


def to_dict(obj: Any) -> Any:
    """Plain dict (for YAML/JSON) of a config dataclass."""
    return dataclasses.asdict(obj)


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


def load_yaml(path: str | Path) -> dict:
    from seqlab.data.io import read_text

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


@dataclass(frozen=True)
class RunConfig:
    """A whole run: which task, its data and model sections, training, and where to write."""

    task: str
    data: Any
    model: Any
    train: TrainConfig = field(default_factory=TrainConfig)
    out_dir: str = "runs/run"


@dataclass(frozen=True)
class RecurrentModelConfig:
    """The recurrent core every model config shares; each task's config adds its own fields
    and may change these defaults.

    cell: rnn | lstm | gru. embedding_dim: E, the token vector size. hidden_size: H, the size of
    h_t (per direction). num_layers: stacked recurrent layers. dropout: on embeddings and
    outputs, and between stacked layers. impl: fused (torch's kernels) | explicit (the equations
    of seqlab.nn.cells, slow and readable).
    """

    cell: str = "lstm"
    embedding_dim: int = 128
    hidden_size: int = 256
    num_layers: int = 1
    dropout: float = 0.2
    impl: str = "fused"

    def __post_init__(self):
        check_choice("cell", self.cell, ("rnn", "lstm", "gru"))
        check_choice("impl", self.impl, ("fused", "explicit"))
        for name in ("embedding_dim", "hidden_size", "num_layers"):
            check_positive(name, getattr(self, name))
        check_fraction("dropout", self.dropout)

    def recurrent_args(self) -> dict[str, Any]:
        """The constructor arguments every model takes from this section."""
        names = ("embedding_dim", "hidden_size", "num_layers", "cell", "dropout", "impl")
        return {name: getattr(self, name) for name in names}


def embedding_args(config: EmbeddingConfig) -> dict[str, Any]:
    """The model constructor arguments of an ``embedding`` section."""
    return {
        "embedding_kind": config.kind,
        "embedding_path": config.path,
        "embedding_freeze": config.freeze,
    }
