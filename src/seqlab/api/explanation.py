"""``seqlab.explain``: the numeric walk-through of a tiny RNN, LSTM or GRU learning a word."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seqlab.analysis import explain as walkthrough
from seqlab.analysis import plots
from seqlab.api.display import image, png, pre


@dataclass(frozen=True)
class Explanation:
    """Every number of the walk-through (``data``: JSON-ready, the keys of
    :func:`seqlab.analysis.explain.explain`); prints as ``seqlab explain`` does, and ``plot()``
    draws h_t before and after training."""

    data: dict[str, Any] = field(repr=False)

    @property
    def generated(self) -> str:
        """What the trained model spells, fed its own output from the first character."""
        return self.data["generation"]["text"]

    def plot(self) -> plots.Figure:
        """Heatmaps of h_t (hidden units x time steps), before and after training."""
        return walkthrough.draw_hidden(self.data)

    def __str__(self) -> str:
        return walkthrough.format_text(self.data)

    def __repr__(self) -> str:
        config = self.data["config"]
        return (
            f"Explanation(text={config['text']!r}, cell={config['cell']!r}, "
            f"hidden_size={config['hidden_size']}, generated={self.generated!r})"
        )

    def _repr_html_(self) -> str:
        return pre(str(self)) + image(png(self.plot()))


def explain(
    text: str = "hello",
    cell: str = "rnn",
    *,
    hidden_size: int = 4,
    seed: int = 0,
    steps: int = 100,
    lr: float = 0.05,
) -> Explanation:
    """Walk a one-layer ``cell`` (rnn, lstm or gru) through ``text`` with every term of its
    equations, train it ``steps`` Adam steps to predict each next character, walk again, and
    let it spell ``text`` from its first character.

    >>> import seqlab
    >>> seqlab.explain("hello", "rnn", hidden_size=4, steps=100).generated
    'hello'
    """
    return Explanation(
        walkthrough.explain(text, cell, hidden_size=hidden_size, seed=seed, steps=steps, lr=lr)
    )
