"""What a model makes of a few fixed validation examples: shown by a training log (TensorBoard)
at every validation, so a reader sees the outputs improve beside the curves.

Each task fills :class:`Samples` from what it can give cheaply
(:meth:`seqlab.train.task.TrainingTask.validation_samples`): a seq2seq model's greedy outputs
beside their references and the attention of the first, a language model's short sample, a
classifier's or tagger's predictions beside the gold labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAMPLE_COUNT = 3  # validation examples a task shows, where it shows several


@dataclass(frozen=True)
class AttentionMap:
    """weights (T, S): output tokens down the rows, source tokens along the columns; ``output``
    labels the T rows and ``source`` the S columns."""

    weights: np.ndarray
    source: list[str]
    output: list[str]


@dataclass(frozen=True)
class Samples:
    """A table of outputs, one row per example, ``columns`` naming each field of a row; and
    optionally the attention of the first example. Empty when the task shows nothing."""

    columns: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = field(default_factory=list)
    attention: AttentionMap | None = None

    def __post_init__(self):
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"a sample row has {len(row)} fields for {len(self.columns)} columns"
                )

    def markdown(self) -> str:
        """The table as Markdown (what TensorBoard's text panel renders); "" without rows."""
        if not self.rows:
            return ""
        lines = [_row(self.columns), _row(("---",) * len(self.columns))]
        lines += [_row(row) for row in self.rows]
        return "\n".join(lines)


def _row(cells: tuple[str, ...]) -> str:
    """One Markdown table row; a cell's newlines become ⏎ and its bars are escaped, so each
    cell stays in its column."""
    shown = (cell.replace("|", "\\|").replace("\n", " ⏎ ") for cell in cells)
    return "| " + " | ".join(shown) + " |"
