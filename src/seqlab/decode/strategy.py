"""Decoding strategies: how the next token is chosen, as typed, frozen, validated objects.

    Greedy()                                   the most likely token, every step
    Sample(temperature, top_k, top_p, seed)    a random draw from the (reshaped) distribution
    Beam(size, n_best, length_penalty, alpha)  keep the ``size`` best partial outputs

A strategy holds options only; :func:`seqlab.decode.loop.decode` runs any of them over any model
that can ``step``. Each is checked once, here, so a bad value is one line naming the option,
whatever the caller (the CLI, the server, a script); the valid values are declared in
:mod:`seqlab.decode.limits`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from seqlab.decode.limits import LENGTH_PENALTIES, LIMITS, OptionError


@dataclass(frozen=True)
class Greedy:
    """Take the argmax at every step (beam search of size 1, with raw log-probability scores)."""


@dataclass(frozen=True)
class Sample:
    """Draw each token from softmax(logits / temperature), optionally cut to the ``top_k`` most
    likely tokens and to the smallest set whose probability reaches ``top_p`` (nucleus).

    seed: draws are reproducible with it; ``generator`` (not part of equality) continues a
    caller's own random stream instead.
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int | None = None
    generator: torch.Generator | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if not self.temperature > 0:
            raise OptionError(
                "temperature",
                f"must be > 0 for sampling (0 means greedy), got {self.temperature}",
            )
        LIMITS["temperature"].check("temperature", self.temperature)
        LIMITS["top_k"].check("top_k", self.top_k, " (0 = no cut)")
        LIMITS["top_p"].check("top_p", self.top_p)

    def make_generator(self) -> torch.Generator | None:
        """The random stream of one decoding call."""
        if self.generator is not None:
            return self.generator
        return None if self.seed is None else torch.Generator().manual_seed(self.seed)


@dataclass(frozen=True)
class Beam:
    """Beam search: ``size`` hypotheses per sentence, the ``n_best`` best returned, ranked by
    log-probability divided by a length penalty (none | avg | gnmt, with exponent ``alpha``).
    Errors name the size ``beam``, as the option is called everywhere else."""

    size: int = 5
    n_best: int = 1
    length_penalty: str = "gnmt"
    alpha: float = 0.6

    def __post_init__(self):
        LIMITS["beam"].check("beam", self.size)
        LIMITS["n_best"].check("n_best", self.n_best)
        if self.n_best > self.size:
            raise OptionError("n_best", f"must be at most beam ({self.size}), got {self.n_best}")
        if self.length_penalty not in LENGTH_PENALTIES:
            raise OptionError(
                "length_penalty",
                f"{self.length_penalty!r} is not valid; expected one of "
                + ", ".join(LENGTH_PENALTIES),
            )
        LIMITS["alpha"].check("alpha", self.alpha)


Strategy = Greedy | Sample | Beam


def sampling(
    temperature: float, top_k: int = 0, top_p: float = 1.0, seed: int | None = None
) -> Greedy | Sample:
    """The strategy of ``--temperature``: 0 is greedy, above 0 a seeded draw. Negative values
    and out-of-range cuts are refused (also when greedy makes them unused)."""
    LIMITS["temperature"].check("temperature", temperature, " (0 = greedy)")
    if temperature == 0:
        Sample(1.0, top_k, top_p)  # validates the cuts
        return Greedy()
    return Sample(temperature, top_k, top_p, seed)


def beam_or_greedy(
    size: int, n_best: int = 1, length_penalty: str = "gnmt", alpha: float = 0.6
) -> Greedy | Beam:
    """The strategy of ``--beam``: size 1 (and one hypothesis) is greedy decoding."""
    beam = Beam(size, n_best, length_penalty, alpha)
    return Greedy() if size == 1 else beam
