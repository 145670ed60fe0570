"""A tqdm progress bar that shows loss, tokens/s, learning rate and the padding fraction.

tokens/s counts training time only: the time spent inside ``paused()`` (validation, saving
checkpoints) is left out, so the figure is the training throughput at any validation interval.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic as clock

from tqdm.auto import tqdm


class Progress:
    def __init__(self, total: int, initial: int, enabled: bool = True):
        self.bar = tqdm(
            total=total,
            initial=initial,
            disable=not enabled,
            dynamic_ncols=True,
            mininterval=1.0,
            unit="step",
        )
        self.tokens = 0
        self.start = clock()
        self.excluded = 0.0  # seconds spent in paused() blocks
        self.loss = None
        self.positions = [0, 0]  # (real, all) token positions of the batches so far

    def update(
        self, loss: float, tokens: int, lr: float, positions: tuple[int, int] = (0, 0)
    ) -> None:
        """One step: its loss, tokens, learning rate and (real, all) batch positions."""
        self.tokens += tokens
        self.loss = loss if self.loss is None else 0.95 * self.loss + 0.05 * loss
        self.positions = [a + b for a, b in zip(self.positions, positions, strict=True)]
        self.bar.update(1)
        if self.bar.n % 10 == 0 and not self.bar.disable:
            shown = {"loss": f"{self.loss:.3f}", "tok_s": f"{self.rate():,.0f}", "lr": f"{lr:.2g}"}
            if self.padding() is not None:
                shown["pad"] = f"{self.padding():.0%}"
            self.bar.set_postfix(shown, refresh=False)

    def padding(self) -> float | None:
        """Padded positions / all positions of this rank's batches so far (None: no padding
        counted, as in a language model's stream)."""
        real, every = self.positions
        return 1 - real / every if every else None

    def rate(self) -> float:
        return self.tokens / max(1e-9, clock() - self.start - self.excluded)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Leave the time of the block out of tokens/s."""
        start = clock()
        try:
            yield
        finally:
            self.excluded += clock() - start

    def note(self, metrics: dict) -> None:
        if not self.bar.disable:
            text = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
            self.bar.write(f"step {self.bar.n}: valid {text}")

    def close(self) -> None:
        self.bar.close()
