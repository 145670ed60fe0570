"""Greedy decoding and sampling, batched: one token per sentence per step, fed back in.

Each sentence stops at its own <eos> or its own length limit. With ``compact`` a finished
sentence leaves the batch (the driver calls the model's ``select`` with :attr:`reorder`), so
later steps run on fewer rows; without it finished rows keep stepping and their output is
ignored. Either way a sentence decodes the same alone or inside any batch (for greedy; a sampled
row's draws depend on its position in the batch, never on when other rows finish).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from seqlab.decode.sampling import draw, race_noise, reshape_logits
from seqlab.decode.search import Hypothesis
from seqlab.decode.strategy import Greedy, Sample

TokenCallback = Callable[[list[int], list[int]], None]
"""on_token(batch rows, tokens): the tokens just produced by rows still going (no <eos>)."""


class Picker:
    """Chooses the next token of each live row: argmax, or a draw with its own random stream.

    For sampling, Exp(1) noise is drawn for every row of the original batch at every step and
    the live rows take theirs, so a row's draws do not depend on when other rows finish.
    """

    def __init__(self, strategy: Greedy | Sample, batch: int):
        self.sample = strategy if isinstance(strategy, Sample) else None
        self.generator = self.sample.make_generator() if self.sample else None
        self.batch = batch

    def __call__(self, logits: Tensor, rows: Tensor) -> Tensor:
        """logits (A, V), rows (A,) the batch row of each live row -> ids (A,)."""
        if self.sample is None:
            return logits.argmax(-1)
        s = self.sample
        noise = race_noise((self.batch, logits.shape[-1]), self.generator)  # (B, V)
        if rows.shape[0] < self.batch:
            noise = noise[rows.cpu()]
        return draw(reshape_logits(logits, s.temperature, s.top_k, s.top_p), noise)


class GreedySearch:
    """The state of one greedy (or sampling) decoding call; see :mod:`seqlab.decode.loop`.

    Args:
        picker: chooses tokens from logits.
        first: (B,) the input of the first step (<sos>, or a prime's last token).
        limits: (B,) at most this many tokens per sentence (<eos> not counted).
        eos: the end token, or None to run every row to its limit.
    """

    expand: Tensor | None = None  # rows are not duplicated

    def __init__(
        self,
        picker: Picker,
        first: Tensor,
        limits: Tensor,
        eos: int | None,
        *,
        attention: bool = False,
        compact: bool = True,
        on_token: TokenCallback | None = None,
    ):
        batch, device = limits.shape[0], limits.device
        self.picker, self.limits, self.eos = picker, limits, eos
        self.keep_attention, self.compact, self.on_token = attention, compact, on_token
        self.rows = torch.arange(batch, device=device)  # (A,) the batch row of each live row
        self.tokens = first  # (A,) next step's input
        self.alive = torch.ones(batch, dtype=torch.bool, device=device)  # (A,)
        self.scores = torch.zeros(batch, dtype=torch.float64, device=device)  # (B,)
        self.steps: list[tuple[Tensor, Tensor, Tensor | None]] = []  # rows, tokens, attn
        self.reorder: Tensor | None = None
        self.done = batch == 0 or int(limits.max()) <= 0

    def advance(self, logits: Tensor, attn: Tensor | None) -> None:
        """logits (A, V) of the live rows, attn (A, S) or None: choose, score, retire rows."""
        t = len(self.steps)
        nxt = self.picker(logits, self.rows)  # (A,)
        logp = torch.log_softmax(logits, -1).gather(1, nxt[:, None]).squeeze(1)  # (A,)
        self.scores[self.rows] += torch.where(self.alive, logp.double(), 0.0)
        self.steps.append((self.rows, nxt, attn if self.keep_attention else None))
        ended = t + 1 >= self.limits[self.rows]
        if self.eos is not None:
            ended |= nxt == self.eos
        if self.on_token is not None:
            self._report(nxt)
        self.alive &= ~ended
        self.reorder = None
        if not bool(self.alive.any()):
            self.done = True
            return
        if self.compact and not bool(self.alive.all()):
            keep = self.alive.nonzero().squeeze(1)  # (A',)
            self.reorder = keep
            self.rows, nxt, self.alive = self.rows[keep], nxt[keep], self.alive[keep]
        self.tokens = nxt

    def _report(self, nxt: Tensor) -> None:
        fresh = self.alive if self.eos is None else self.alive & (nxt != self.eos)
        rows, tokens = self.rows[fresh].tolist(), nxt[fresh].tolist()
        if rows:
            self.on_token(rows, tokens)

    def finish(self) -> list[list[Hypothesis]]:
        """Per sentence, its one hypothesis."""
        batch, n = self.limits.shape[0], len(self.steps)
        fill = -1 if self.eos is None else self.eos
        ids = torch.full((batch, n), fill, dtype=torch.long, device=self.limits.device)
        attn = None
        if n and self.steps[0][2] is not None:
            first = self.steps[0][2]
            attn = first.new_zeros(batch, n, first.shape[-1])  # (B, steps, S)
        for t, (rows, tokens, weights) in enumerate(self.steps):
            ids[rows, t] = tokens
            if attn is not None:
                attn[rows, t] = weights
        id_lists, limits = ids.tolist(), self.limits.tolist()
        return [
            [self._hypothesis(id_lists[b], float(self.scores[b]), limits[b], attn, b)]
            for b in range(batch)
        ]

    def _hypothesis(
        self, ids: list[int], score: float, limit: int, attn: Tensor | None, row: int
    ) -> Hypothesis:
        ended = self.eos is not None and self.eos in ids[:limit]
        tokens = ids[: ids.index(self.eos)] if ended else ids[:limit]
        steps = len(tokens) + ended
        weights = attn[row, :steps] if attn is not None else None
        return Hypothesis(tokens, score, weights, ended)
