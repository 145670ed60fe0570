"""A parameter count and the formula that gives it: the unit every ``seqlab params`` row holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Count:
    """A parameter count and the formula that gives it, e.g. ``Count("128*1+1", 129)``."""

    formula: str
    count: int
