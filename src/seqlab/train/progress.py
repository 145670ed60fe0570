"""A tqdm progress bar that shows loss, tokens/s and learning rate."""

from __future__ import annotations

import time

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
        self.start = time.monotonic()
        self.loss = None

    def update(self, loss: float, tokens: int, lr: float) -> None:
        self.tokens += tokens
        self.loss = loss if self.loss is None else 0.95 * self.loss + 0.05 * loss
        self.bar.update(1)
        if self.bar.n % 10 == 0 and not self.bar.disable:
            self.bar.set_postfix(
                loss=f"{self.loss:.3f}", tok_s=f"{self.rate():,.0f}", lr=f"{lr:.2g}", refresh=False
            )

    def rate(self) -> float:
        return self.tokens / max(1e-9, time.monotonic() - self.start)

    def note(self, metrics: dict) -> None:
        if not self.bar.disable:
            text = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
            self.bar.write(f"step {self.bar.n}: valid {text}")

    def close(self) -> None:
        self.bar.close()
