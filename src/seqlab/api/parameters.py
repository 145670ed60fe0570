"""``seqlab.params``: parameter counts per layer, in the Keras and PyTorch conventions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from seqlab.analysis.params import (
    ParamTable,
    format_param_table,
    param_table_from_module,
    param_table_from_source,
)
from seqlab.api.display import pre
from seqlab.tasks import model_from_path


@dataclass(frozen=True)
class Params:
    """One model's parameter table (``table.rows``: one per layer) and its totals."""

    table: ParamTable

    @property
    def total(self) -> int:
        """The PyTorch count, ``sum(p.numel())`` of the model."""
        return self.table.pytorch_total

    @property
    def keras_total(self) -> int | None:
        """The Keras count (one bias per gate block), or None when a layer has no Keras twin."""
        return self.table.keras_total

    def to_dict(self) -> dict:
        return self.table.to_dict()

    def __str__(self) -> str:
        return format_param_table(self.table)

    def __repr__(self) -> str:
        return f"Params({self.table.source!r}, total={self.total:,}, keras={self.keras_total})"

    def _repr_html_(self) -> str:
        return pre(str(self))


def params(source: str | Path, *, seq_len: int | None = None) -> Params:
    """Count the parameters of a layer spec (``"embedding(5000,100) rnn(128) dense(1)"``), a YAML
    config or a run directory; ``seq_len`` shows that a sequence length changes nothing.

    >>> import seqlab
    >>> seqlab.params("embedding(5000,100) rnn(128) dense(1)").keras_total
    529441
    """
    return Params(param_table_from_source(str(source), seq_len=seq_len, build=model_from_path))


def module_params(module: nn.Module, source: str) -> Params:
    """The table of a built model (``source`` names it)."""
    return Params(param_table_from_module(module, source))
