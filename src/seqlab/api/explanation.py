"""``seqlab.explain``: the numeric walk-through of a tiny RNN, LSTM or GRU, or of one head of
causal self-attention, learning a word."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seqlab.analysis import explain as walkthrough
from seqlab.analysis import explain_attention, explain_attention_text, plots
from seqlab.api.display import image, png, pre
from seqlab.errors import SeqlabError

ARCHS = ("recurrent", "transformer")


@dataclass(frozen=True)
class Explanation:
    """Every number of the walk-through (``data``: JSON-ready, the keys of
    :func:`seqlab.analysis.explain.explain` or, for ``arch="transformer"``, of
    :func:`seqlab.analysis.explain_attention.explain`); prints as ``seqlab explain`` does, and
    ``plot()`` draws h_t (recurrent) or the attention weights a_ts before and after training."""

    data: dict[str, Any] = field(repr=False)

    @property
    def arch(self) -> str:
        """ "recurrent" or "transformer"."""
        return self.data["config"]["arch"]

    @property
    def generated(self) -> str:
        """What the trained model spells, fed its own output from the first character."""
        return self.data["generation"]["text"]

    def plot(self, lang: str = "en") -> plots.Figure:
        """Heatmaps before and after training: h_t (hidden units x time steps) of the recurrent
        model, a_ts (query position t x key position s) of the attention head; titles and axes
        labelled in ``lang`` ("en" or "ko")."""
        if self.arch == "transformer":
            return explain_attention_text.draw_attention(self.data, lang)
        return walkthrough.draw_hidden(self.data, lang)

    def __str__(self) -> str:
        if self.arch == "transformer":
            return explain_attention_text.format_text(self.data)
        return walkthrough.format_text(self.data)

    def __repr__(self) -> str:
        config = self.data["config"]
        model = f"cell={config['cell']!r}" if self.arch == "recurrent" else "arch='transformer'"
        return (
            f"Explanation(text={config['text']!r}, {model}, "
            f"hidden_size={config['hidden_size']}, generated={self.generated!r})"
        )

    def _repr_html_(self) -> str:
        return pre(str(self)) + image(png(self.plot()))


def explain(
    text: str = "hello",
    cell: str | None = None,
    *,
    arch: str = "recurrent",
    positions: str | None = None,
    hidden_size: int = 4,
    seed: int = 0,
    steps: int = 100,
    lr: float = 0.05,
) -> Explanation:
    """Walk a tiny model through ``text`` with every term of its equations, train it ``steps``
    Adam steps to predict each next character, walk again, and let it spell ``text`` from its
    first character.

    ``arch="recurrent"``: one layer of ``cell`` (rnn, the default, lstm or gru), hidden size
    ``hidden_size``. ``arch="transformer"``: one head of causal self-attention with sinusoidal
    positions (or ``positions`` "learned" or "none") and a residual, d_model = ``hidden_size``
    (even for sinusoidal). ``cell`` belongs to the recurrent arch, ``positions`` to the
    transformer; naming one with the other arch is an error.

    >>> import seqlab
    >>> seqlab.explain("hello", "rnn", hidden_size=4, steps=100).generated
    'hello'
    >>> seqlab.explain("hello", arch="transformer", hidden_size=4, steps=100).generated
    'hello'
    """
    options = {"hidden_size": hidden_size, "seed": seed, "steps": steps, "lr": lr}
    if arch == "transformer":
        if cell is not None:
            raise SeqlabError(f"--cell {cell!r} applies to --arch recurrent only, not transformer")
        kind = positions or "sinusoidal"
        return Explanation(explain_attention.explain(text, positions=kind, **options))
    if arch != "recurrent":
        raise SeqlabError(f"unknown --arch {arch!r}; expected one of {', '.join(ARCHS)}")
    if positions is not None:
        raise SeqlabError(f"--positions {positions!r} applies to --arch transformer only")
    return Explanation(walkthrough.explain(text, cell or "rnn", **options))
