"""The valid values of every decoding option, declared once.

    beam            [1, 32]       beam size; 1 is greedy decoding
    n_best          [1, 32]       hypotheses returned (and at most ``beam``)
    length_penalty  none | avg | gnmt
    alpha           [0, 10]       the GNMT length-penalty exponent
    temperature     [0, 10]       0 is greedy; sampling needs > 0
    top_k           [0, 10**6]    0 keeps every token
    top_p           (0, 1]        nucleus mass

The strategies (:mod:`seqlab.decode.strategy`) check their options against this table, the
server's request schemas take their bounds from it, and the CLI's help shows them. An error
names the option as the library does (:class:`OptionError`); each front end spells it its own
way (``--n-best`` on the command line, ``n_best`` in a request body).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqlab.errors import SeqlabError

LENGTH_PENALTIES = ("none", "avg", "gnmt")


class OptionError(SeqlabError):
    """A decoding option out of range: ``option`` is its library name, ``problem`` the rest."""

    def __init__(self, option: str, problem: str):
        super().__init__(f"{option}: {problem}")
        self.option, self.problem = option, " ".join(problem.split())

    def spelled(self, name: str) -> str:
        """The message with the option spelled as a front end spells it."""
        return f"{name}: {self.problem}"


@dataclass(frozen=True)
class Range:
    """Bounds of a numeric option: ``ge`` or ``gt`` below, ``le`` above (None: no bound).
    ``interval``: messages give the whole interval, not only the side that was crossed."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    interval: bool = False

    def __str__(self) -> str:
        low = f"[{_num(self.ge)}" if self.gt is None else f"({_num(self.gt)}"
        return f"{low}, {_num(self.le)}]"

    def fields(self) -> dict[str, Any]:
        """The bounds as keyword arguments of ``pydantic.Field``."""
        return {
            k: v for k, v in (("ge", self.ge), ("gt", self.gt), ("le", self.le)) if v is not None
        }

    def check(self, option: str, value: float, note: str = "") -> None:
        """Raise :class:`OptionError` when ``value`` is outside; ``note`` follows the bound."""
        below = (self.ge is not None and value < self.ge) or (
            self.gt is not None and not value > self.gt
        )
        above = self.le is not None and value > self.le
        if not (below or above):
            return
        if self.interval:
            bound = f"in {self}"
        elif below:
            bound = f">= {_num(self.ge)}" if self.gt is None else f"> {_num(self.gt)}"
        else:
            bound = f"<= {_num(self.le)}"
        raise OptionError(option, f"must be {bound}{note}, got {value}")


def _num(x: float | None) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


LIMITS = {
    "beam": Range(ge=1, le=32),
    "n_best": Range(ge=1, le=32),
    "alpha": Range(ge=0.0, le=10.0, interval=True),
    "temperature": Range(ge=0.0, le=10.0),
    "top_k": Range(ge=0, le=1_000_000),
    "top_p": Range(gt=0.0, le=1.0, interval=True),
}
