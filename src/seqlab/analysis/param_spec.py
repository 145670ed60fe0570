"""The compact layer spec of ``seqlab params``, e.g. ``"embedding(5000,100) rnn(128) dense(1)"``.

Grammar (layers are separated by whitespace; whitespace inside parentheses is allowed)::

    spec   := layer (WS layer)*
    layer  := NAME [ "(" arg ("," arg)* ")" ]      positional args first, then key=value
    NAME   := input | embedding | dense | attention | [bi]rnn | [bi]lstm | [bi]gru

    input(dim)                         features per step, for specs without an embedding
    embedding(vocab,dim)               token ids -> vectors; must come first
    rnn(units) lstm(units) gru(units)  recurrent; options layers=N (stacked inside one module)
                                       and, for gru, reset_after=true|false (Keras variant)
    birnn(...) bilstm(...) bigru(...)  bidirectional: outputs 2*units per step
    dense(units)                       per step, or the last step when it follows a recurrent layer
    attention(kind)                    kind: bahdanau | luong_general | luong_dot | luong_concat;
                                       options size=A (bahdanau, luong_concat) and enc=H_enc

The input size of every layer is the output size of the layer before it, so sizes are written
once. This module only parses and checks the spec; :mod:`seqlab.analysis.params` counts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seqlab.errors import SeqlabError

RECURRENT_CELLS = ("rnn", "lstm", "gru")
ATTENTION_SCORES = ("bahdanau", "luong_general", "luong_dot", "luong_concat")
LAYER_NAMES = (
    "input",
    "embedding",
    *RECURRENT_CELLS,
    *(f"bi{cell}" for cell in RECURRENT_CELLS),
    "dense",
    "attention",
)

_TOKEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\(([^()]*)\))?$")
_FALSE, _TRUE = ("false", "0", "no"), ("true", "1", "yes")


class SpecError(SeqlabError):
    """A malformed layer spec; the message names the token and lists the valid layers."""

    def __init__(self, token: str, problem: str):
        super().__init__(
            f"bad layer spec {token!r}: {problem} (valid layers: {', '.join(LAYER_NAMES)})"
        )


@dataclass(frozen=True)
class InputSpec:
    """``input(dim)``: a sequence of ``dim`` features per step; no parameters."""

    token: str
    input_size: int


@dataclass(frozen=True)
class EmbeddingSpec:
    """``embedding(vocab,dim)``: a ``(num_embeddings, embedding_dim)`` lookup table."""

    token: str
    num_embeddings: int
    embedding_dim: int


@dataclass(frozen=True)
class RecurrentSpec:
    """``[bi]rnn|lstm|gru(units[,layers=N][,reset_after=B])``: one torch recurrent module."""

    token: str
    cell: str  # "rnn", "lstm" or "gru"
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    reset_after: bool = True  # Keras GRU only: True keeps two bias vectors, like cuDNN

    @property
    def output_size(self) -> int:
        return self.hidden_size * (2 if self.bidirectional else 1)


@dataclass(frozen=True)
class DenseSpec:
    """``dense(units)``: an affine layer with bias."""

    token: str
    out_features: int


@dataclass(frozen=True)
class AttentionSpec:
    """``attention(kind[,size=A][,enc=H_enc])``: a score function over a sequence of keys.

    The query is the previous layer's output (size H_dec); the keys are that same sequence unless
    ``enc`` names an encoder of another size. ``size`` is the additive attention size A, which
    defaults to H_dec.
    """

    token: str
    score: str
    attention_size: int | None = None
    key_size: int | None = None


LayerSpec = InputSpec | EmbeddingSpec | RecurrentSpec | DenseSpec | AttentionSpec


def split_layers(spec: str) -> list[str]:
    """Split a spec at whitespace outside parentheses; unbalanced parentheses are an error."""
    tokens, current, depth = [], "", 0
    for char in spec:
        if char.isspace() and depth == 0:
            if current:
                tokens.append(current)
            current = ""
            continue
        current += char
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise SpecError(current, "unbalanced parentheses: ')' without '('")
    if depth > 0:
        raise SpecError(current, "unbalanced parentheses: '(' is never closed")
    if current:
        tokens.append(current)
    if not tokens:
        raise SpecError(spec, "the spec is empty")
    return tokens


def parse_layer(token: str) -> LayerSpec:
    """Parse one layer token such as ``bilstm(64,layers=2)``."""
    match = _TOKEN.match(token)
    if match is None:
        raise SpecError(token, "expected name(args), e.g. lstm(128)")
    name, inner = match.group(1).lower(), match.group(2)
    if name not in _PARSERS and name.removeprefix("bi") in ("input", "embedding", "dense"):
        raise SpecError(token, "only rnn, lstm and gru layers can be bidirectional")
    if name not in _PARSERS:
        raise SpecError(token, f"unknown layer {name!r}")
    parser, usage = _PARSERS[name]
    if inner is None or not inner.strip():
        raise SpecError(token, f"missing arguments; usage: {usage}")
    positional, options = _split_args(token, inner)
    return parser(token, name, positional, options, usage)


def parse_spec(spec: str) -> list[LayerSpec]:
    """Parse a whole spec and check that each layer can read the one before it."""
    layers = [parse_layer(token) for token in split_layers(spec)]
    _check_order(layers)
    input_sizes(layers)  # checks the sizes that depend on context (luong_dot)
    return layers


def _split_args(token: str, inner: str) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    for arg in (part.strip() for part in inner.split(",")):
        if not arg:
            raise SpecError(token, "empty argument")
        if "=" in arg:
            key, value = (part.strip() for part in arg.split("=", 1))
            if key.lower() in options:
                raise SpecError(token, f"option {key!r} given twice")
            options[key.lower()] = value
        elif options:
            raise SpecError(token, f"positional argument {arg!r} after a key=value option")
        else:
            positional.append(arg)
    return positional, options


def _positive(token: str, what: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise SpecError(token, f"{what} must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise SpecError(token, f"{what} must be a positive integer, got {value}")
    return value


def _boolean(token: str, key: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise SpecError(token, f"{key} must be true or false, got {text!r}")


def _check_args(token, positional, options, usage, count: int, allowed: tuple[str, ...]) -> None:
    if len(positional) != count:
        raise SpecError(token, f"expected {count} positional argument(s); usage: {usage}")
    for key in options:
        if key not in allowed:
            valid = ", ".join(allowed) if allowed else "none"
            raise SpecError(token, f"unknown option {key!r}; valid options: {valid}")


def _parse_input(token, name, positional, options, usage) -> InputSpec:
    _check_args(token, positional, options, usage, 1, ())
    return InputSpec(token, _positive(token, "dim", positional[0]))


def _parse_embedding(token, name, positional, options, usage) -> EmbeddingSpec:
    _check_args(token, positional, options, usage, 2, ())
    vocab = _positive(token, "vocab", positional[0])
    return EmbeddingSpec(token, vocab, _positive(token, "dim", positional[1]))


def _parse_recurrent(token, name, positional, options, usage) -> RecurrentSpec:
    cell = name.removeprefix("bi")
    allowed = ("layers", "reset_after") if cell == "gru" else ("layers",)
    _check_args(token, positional, options, usage, 1, allowed)
    return RecurrentSpec(
        token,
        cell,
        hidden_size=_positive(token, "units", positional[0]),
        num_layers=_positive(token, "layers", options.get("layers", "1")),
        bidirectional=name.startswith("bi"),
        reset_after=_boolean(token, "reset_after", options.get("reset_after", "true")),
    )


def _parse_dense(token, name, positional, options, usage) -> DenseSpec:
    _check_args(token, positional, options, usage, 1, ())
    return DenseSpec(token, _positive(token, "units", positional[0]))


def _parse_attention(token, name, positional, options, usage) -> AttentionSpec:
    score = positional[0].lower() if positional else ""
    if score not in ATTENTION_SCORES:
        raise SpecError(token, f"attention kind must be one of {', '.join(ATTENTION_SCORES)}")
    has_size = score in ("bahdanau", "luong_concat")
    _check_args(token, positional, options, usage, 1, ("size", "enc") if has_size else ("enc",))
    size = options.get("size")
    enc = options.get("enc")
    return AttentionSpec(
        token,
        score,
        attention_size=None if size is None else _positive(token, "size", size),
        key_size=None if enc is None else _positive(token, "enc", enc),
    )


def _recurrent_usage(name: str) -> str:
    extra = ",reset_after=true|false" if name.endswith("gru") else ""
    return f"{name}(units[,layers=N]{extra})"


_PARSERS = {
    "input": (_parse_input, "input(dim)"),
    "embedding": (_parse_embedding, "embedding(vocab,dim)"),
    "dense": (_parse_dense, "dense(units)"),
    "attention": (_parse_attention, f"attention({'|'.join(ATTENTION_SCORES)}[,size=A][,enc=N])"),
    **{
        name: (_parse_recurrent, _recurrent_usage(name))
        for name in LAYER_NAMES
        if name.removeprefix("bi") in RECURRENT_CELLS
    },
}


def _check_order(layers: list[LayerSpec]) -> None:
    """Each layer needs an input size; recurrent and attention layers need a sequence."""
    last_step_by: str | None = None  # the dense token that reduced the sequence to one step
    previous: LayerSpec | None = None
    for layer in layers:
        if isinstance(layer, (InputSpec, EmbeddingSpec)):
            if previous is not None:
                raise SpecError(layer.token, "input and embedding can only be the first layer")
        elif previous is None:
            raise SpecError(
                layer.token, "no input size: start the spec with input(dim) or embedding(vocab,dim)"
            )
        elif isinstance(layer, (RecurrentSpec, AttentionSpec)) and last_step_by is not None:
            raise SpecError(
                layer.token,
                f"needs a sequence, but {last_step_by!r} after a recurrent layer "
                "keeps only the last step",
            )
        elif isinstance(layer, DenseSpec) and isinstance(previous, RecurrentSpec):
            last_step_by = layer.token  # dense reads the last step of a recurrent layer
        previous = layer


def output_size(layer: LayerSpec, input_size: int | None) -> int:
    """Features per step (or per sample) that ``layer`` outputs when fed ``input_size``."""
    if isinstance(layer, InputSpec):
        return layer.input_size
    if isinstance(layer, EmbeddingSpec):
        return layer.embedding_dim
    assert input_size is not None  # parse_spec rejects such specs
    if isinstance(layer, RecurrentSpec):
        return layer.output_size
    if isinstance(layer, DenseSpec):
        return layer.out_features
    query_size, key_size, _ = attention_sizes(layer, input_size)
    return key_size + query_size  # [context; query], the input of Luong's W_c


def attention_sizes(layer: AttentionSpec, query_size: int) -> tuple[int, int, int]:
    """``(H_dec, H_enc, A)``: the query is the layer before; keys default to the same sequence."""
    key_size = layer.key_size or query_size
    if layer.score == "luong_dot" and key_size != query_size:
        raise SpecError(
            layer.token, f"luong_dot needs H_enc == H_dec, got enc={key_size}, query={query_size}"
        )
    return query_size, key_size, layer.attention_size or query_size


def input_sizes(layers: list[LayerSpec]) -> list[int | None]:
    """The input size of each layer: the previous layer's output size (None for the first)."""
    sizes: list[int | None] = []
    size: int | None = None
    for layer in layers:
        sizes.append(size)
        size = output_size(layer, size)
    return sizes
