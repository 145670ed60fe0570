"""Parameter counts per layer, in the Keras and the PyTorch (cuDNN) conventions.

The two conventions differ only in the biases of recurrent layers. For a layer with G gate blocks
(RNN 1, LSTM 4, GRU 3), H units and input size I, one direction of one layer holds::

    Keras      G*H*(I + H + 1)   one bias vector per gate block (GRU reset_after=False too)
    PyTorch    G*H*(I + H + 2)   two bias vectors, b_ih and b_hh, as cuDNN keeps them
    Keras GRU reset_after=True (its default) also keeps two: 3*H*(I + H + 2)

A bidirectional layer doubles this; a stacked layer reads the previous layer's output, H or 2*H.
Everything else is the same in both conventions::

    embedding(V,D)   V*D
    dense(N)         I*N + N
    attention        bahdanau W_q (H_dec x A) + W_k (H_enc x A) + v (A), A defaulting to H_dec;
                     luong_general W (H_dec x H_enc); luong_dot 0;
                     luong_concat W ((H_dec + H_enc) x A) + v (A); no biases in either convention.
                     (Keras's own AdditiveAttention/Attention layers have no projections at all.)

Multi-head attention, layer norms and Transformer blocks: :mod:`seqlab.analysis.params_transformer`.

Sequence length never enters a count: the same W_x, W_h and b are applied at every step t.

``param_table(spec)`` counts a compact spec (see :mod:`seqlab.analysis.param_spec`);
``param_table_from_module(module)`` counts a built torch model; ``build_torch_model(spec)`` (from
:mod:`seqlab.analysis.param_models`) builds the model a spec describes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from seqlab.analysis.param_count import Count
from seqlab.analysis.param_models import build_torch_model
from seqlab.analysis.param_spec import (
    AttentionSpec,
    DenseSpec,
    EmbeddingSpec,
    InputSpec,
    LayerSpec,
    RecurrentSpec,
    attention_sizes,
    input_sizes,
    output_size,
    parse_spec,
)
from seqlab.analysis.params_transformer import transformer_module_counts
from seqlab.errors import SeqlabError

__all__ = [
    "Count",
    "ParamRow",
    "ParamTable",
    "build_torch_model",
    "format_param_table",
    "param_table",
    "param_table_from_module",
    "param_table_from_source",
    "recurrent_count",
]

_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_TORCH_MODE_CELLS = {"RNN_TANH": "rnn", "RNN_RELU": "rnn", "LSTM": "lstm", "GRU": "gru"}
_CONFIG_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ParamRow:
    """One layer. Keras fields are None for modules with no Keras counterpart we know of."""

    layer: str
    output_size: int | None
    keras_formula: str | None
    keras_count: int | None
    pytorch_formula: str
    pytorch_count: int

    @classmethod
    def of(cls, layer: str, size: int | None, keras: Count | None, pytorch: Count) -> ParamRow:
        keras_formula = None if keras is None else keras.formula
        keras_count = None if keras is None else keras.count
        return cls(layer, size, keras_formula, keras_count, pytorch.formula, pytorch.count)


@dataclass(frozen=True)
class ParamTable:
    """The rows of one model, where it came from, and the sequence length asked about."""

    source: str
    rows: tuple[ParamRow, ...]
    seq_len: int | None = None

    @property
    def keras_total(self) -> int | None:
        counts = [row.keras_count for row in self.rows]
        return None if None in counts else sum(counts)

    @property
    def pytorch_total(self) -> int:
        return sum(row.pytorch_count for row in self.rows)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "seq_len": self.seq_len,
            "layers": [dataclasses.asdict(row) for row in self.rows],
            "total": {"keras": self.keras_total, "pytorch": self.pytorch_total},
        }


def recurrent_count(
    cell: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    *,
    bidirectional: bool = False,
    biases: int = 2,
) -> Count:
    """Count ``cell`` ("rnn", "lstm", "gru") with ``biases`` bias vectors per gate block (0-2)."""
    gates, directions = _GATES[cell], 2 if bidirectional else 1
    terms, total = [], 0
    for index in range(num_layers):
        layer_input = input_size if index == 0 else hidden_size * directions
        inner = f"{layer_input}+{hidden_size}" + (f"+{biases}" if biases else "")
        term = f"{hidden_size}*({inner})"
        term = term if gates == 1 else f"{gates}*{term}"
        terms.append(term if directions == 1 else f"2*{term}")
        total += directions * gates * hidden_size * (layer_input + hidden_size + biases)
    return Count(" + ".join(terms), total)


def _keras_biases(cell: str, reset_after: bool) -> int:
    return 2 if cell == "gru" and reset_after else 1


def _spec_counts(layer: LayerSpec, input_size: int | None) -> tuple[Count, Count]:
    """(Keras, PyTorch) counts of one spec layer."""
    if isinstance(layer, InputSpec):
        return Count("0", 0), Count("0", 0)
    if isinstance(layer, EmbeddingSpec):
        vocab, dim = layer.num_embeddings, layer.embedding_dim
        same = Count(f"{vocab}*{dim}", vocab * dim)
        return same, same
    assert input_size is not None  # parse_spec guarantees an input size after the first layer
    if isinstance(layer, RecurrentSpec):
        shape = (layer.cell, input_size, layer.hidden_size, layer.num_layers)
        two_ways = layer.bidirectional
        keras_biases = _keras_biases(layer.cell, layer.reset_after)
        keras = recurrent_count(*shape, bidirectional=two_ways, biases=keras_biases)
        return keras, recurrent_count(*shape, bidirectional=two_ways, biases=2)
    if isinstance(layer, DenseSpec):
        units = layer.out_features
        same = Count(f"{input_size}*{units}+{units}", input_size * units + units)
        return same, same
    same = _attention_count(layer, input_size)
    return same, same


def _attention_count(layer: AttentionSpec, input_size: int) -> Count:
    query, key, size = attention_sizes(layer, input_size)
    if layer.score == "bahdanau":
        return Count(f"{query}*{size} + {key}*{size} + {size}", (query + key + 1) * size)
    if layer.score == "luong_general":
        return Count(f"{query}*{key}", query * key)
    if layer.score == "luong_concat":
        return Count(f"({query}+{key})*{size} + {size}", (query + key + 1) * size)
    return Count("0", 0)  # luong_dot


def _check_seq_len(seq_len: int | None) -> None:
    if seq_len is not None and seq_len < 1:
        raise SeqlabError(f"--seq-len must be a positive integer, got {seq_len}")


def param_table(spec: str, seq_len: int | None = None) -> ParamTable:
    """Count a spec such as ``"embedding(5000,100) rnn(128) dense(1)"`` in both conventions.

    ``seq_len`` is only reported back: weights are shared over time, so it never changes a count.
    """
    _check_seq_len(seq_len)
    layers = parse_spec(spec)
    rows = []
    for layer, input_size in zip(layers, input_sizes(layers), strict=True):
        keras, pytorch = _spec_counts(layer, input_size)
        rows.append(ParamRow.of(layer.token, output_size(layer, input_size), keras, pytorch))
    return ParamTable(" ".join(layer.token for layer in layers), tuple(rows), seq_len)


def param_table_from_source(
    source: str, seq_len: int | None = None, *, build: Callable[[Path], nn.Module]
) -> ParamTable:
    """``seqlab params SOURCE``: a directory or YAML config path, else a spec string.

    ``build`` makes the model of a run directory or config (the caller knows how: see
    :func:`seqlab.tasks.model_from_path`); a spec is counted from its formulas.
    """
    _check_seq_len(seq_len)
    path = Path(source)
    looks_like_path = source.strip() and "(" not in source  # every spec layer has "(...)"
    if looks_like_path and (path.is_dir() or path.suffix.lower() in _CONFIG_SUFFIXES):
        if not path.exists():
            raise SeqlabError(f"{source}: no such config file")
        table = param_table_from_module(build(path), source=str(path))
        return dataclasses.replace(table, seq_len=seq_len)
    return param_table(source, seq_len)


# --- counting a built torch model --------------------------------------------------------------


def _module_row(module: nn.Module, label: str) -> ParamRow | None:
    """A formula row for the modules we know; None for anything else."""
    if (known := transformer_module_counts(module)) is not None:
        return ParamRow.of(label, *known)
    if isinstance(module, nn.Embedding):
        vocab, dim = module.num_embeddings, module.embedding_dim
        same = Count(f"{vocab}*{dim}", vocab * dim)
        return ParamRow.of(label, dim, same, same)
    if isinstance(module, nn.Linear):
        fan_in, units = module.in_features, module.out_features
        bias = module.bias is not None
        formula = f"{fan_in}*{units}" + (f"+{units}" if bias else "")
        same = Count(formula, fan_in * units + (units if bias else 0))
        return ParamRow.of(label, units, same, same)
    cell = _TORCH_MODE_CELLS.get(getattr(module, "mode", None))
    if isinstance(module, nn.RNNBase) and cell is not None and module.proj_size == 0:
        shape = (cell, module.input_size, module.hidden_size, module.num_layers)
        two_ways = module.bidirectional
        keras_biases = _keras_biases(cell, reset_after=True) if module.bias else 0
        keras = recurrent_count(*shape, bidirectional=two_ways, biases=keras_biases)
        pytorch = recurrent_count(*shape, bidirectional=two_ways, biases=2 if module.bias else 0)
        size = module.hidden_size * (2 if module.bidirectional else 1)
        return ParamRow.of(label, size, keras, pytorch)
    return None


def _generic_row(label: str, params: list[nn.Parameter]) -> ParamRow:
    formula = " + ".join("*".join(str(n) for n in p.shape) or "1" for p in params)
    return ParamRow.of(label, None, None, Count(formula, sum(p.numel() for p in params)))


def _without_shared(row: ParamRow, params: list[nn.Parameter], seen: set[int]) -> ParamRow:
    """Subtract parameters already counted in an earlier row (tied weights)."""
    shared = sum(p.numel() for p in params if id(p) in seen)
    seen.update(id(p) for p in params)
    if shared == 0:
        return row
    suffix = f" - {shared} shared"
    return dataclasses.replace(
        row,
        keras_formula=None if row.keras_formula is None else row.keras_formula + suffix,
        keras_count=None if row.keras_count is None else row.keras_count - shared,
        pytorch_formula=row.pytorch_formula + suffix,
        pytorch_count=row.pytorch_count - shared,
    )


def _walk(module: nn.Module, name: str, rows: list[ParamRow], seen: set[int]) -> None:
    label = f"{name} ({type(module).__name__})" if name else type(module).__name__
    row = _module_row(module, label)
    if row is not None:
        rows.append(_without_shared(row, list(module.parameters()), seen))
        return
    own = list(module.parameters(recurse=False))
    if own:
        rows.append(_without_shared(_generic_row(label, own), own, seen))
    for child_name, child in module.named_children():
        _walk(child, f"{name}.{child_name}" if name else child_name, rows, seen)


def param_table_from_module(module: nn.Module, source: str | None = None) -> ParamTable:
    """Count a built torch model, one row per Embedding, Linear and RNN/LSTM/GRU module.

    Wrappers such as seqlab's ``Recurrent`` (which owns ``self.rnn``) are walked into, so the
    torch recurrent module they hold gets its row. Keras counts assume Keras's defaults (GRU
    ``reset_after=True``); other modules with parameters get a plain ``numel`` row with no Keras
    count. Tied weights are counted once, so the PyTorch total equals ``sum(p.numel())``.
    """
    rows: list[ParamRow] = []
    _walk(module, "", rows, set())
    return ParamTable(source or type(module).__name__, tuple(rows))


# --- text output -------------------------------------------------------------------------------

_HEADER = ("layer", "output", "Keras formula", "Keras", "PyTorch formula", "PyTorch")
_RIGHT = (False, True, False, True, False, True)


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _table_lines(table: ParamTable) -> list[str]:
    cells = [_HEADER]
    for row in table.rows:
        cells.append(
            (
                row.layer,
                _number(row.output_size),
                row.keras_formula or "-",
                _number(row.keras_count),
                row.pytorch_formula,
                _number(row.pytorch_count),
            )
        )
    cells.append(("total", "", "", _number(table.keras_total), "", _number(table.pytorch_total)))
    widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADER))]
    lines = []
    for line in cells:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(line, widths, _RIGHT, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
    rule = "-" * len(lines[0])
    return [lines[0], rule, *lines[1:-1], rule, lines[-1]]


def _notes(table: ParamTable) -> list[str]:
    notes = []
    keras = table.keras_total
    if keras is not None and keras != table.pytorch_total:
        notes.append(
            f"PyTorch/cuDNN count {table.pytorch_total - keras:,} more: they keep two bias "
            "vectors per gate block (b_ih and b_hh), Keras one (GRU reset_after=True: two)."
        )
    if table.seq_len is not None:
        notes.append(
            f"seq-len {table.seq_len}: the same count. The weights are shared over t: W_x, W_h "
            f"and b are reused at every one of the {table.seq_len} steps, so the sequence "
            "length does not enter the count."
        )
    return notes


def format_param_table(table: ParamTable, as_json: bool = False) -> str:
    """The table as aligned text with totals and notes, or as JSON."""
    if as_json:
        return json.dumps({**table.to_dict(), "notes": _notes(table)}, indent=2)
    lines = [f"params: {table.source}", "", *_table_lines(table), "", *_notes(table)]
    return "\n".join(lines).rstrip()
