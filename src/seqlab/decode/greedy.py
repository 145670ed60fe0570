"""Greedy decoding and sampling, batched: one token per sentence per step, fed back in.

Each sentence stops at its own <eos> or its own length limit. With ``compact`` a finished
sentence leaves the batch (the driver calls the model's ``select`` with :attr:`reorder`), so
later steps run on fewer rows; without it finished rows keep stepping and their output is
ignored. Either way a sentence decodes the same alone or inside any batch (for greedy; a sampled
row's draws depend on its position in the batch, never on when other rows finish).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import torch
from torch import Tensor

from seqlab.decode.sampling import draw, race_noise, reshape_logits
from seqlab.decode.search import Hypothesis, SearchOptions
from seqlab.decode.strategy import Greedy, Sample


class Picker:
    """Chooses the next token of each live row: argmax, or a draw from a random stream.

    For sampling, the batch may be several callers' rows side by side (``groups``: how many rows
    each has, in order); each group has its own stream, from the strategy's seed, so its draws
    are what they would be alone. A group draws Exp(1) noise for all its rows at every step
    while any of them is going, so a row's draws never depend on when other rows finish.

    A stream the call owns (made from the strategy's seed) is drawn ``chunk`` steps at a time,
    up to ``horizon`` steps (the longest limit): one call into the generator instead of one per
    step, and the same numbers, since a generator's draws run on in order. A caller's own
    generator (or the global one) is drawn step by step, so that it is left where it would be.
    """

    chunk = 64

    def __init__(
        self,
        strategy: Greedy | Sample,
        batch: int,
        groups: Sequence[int] | None = None,
        horizon: int = 0,
    ):
        self.sample = strategy if isinstance(strategy, Sample) else None
        s = self.sample  # plain sampling (temperature 1, no top-k or nucleus) skips reshaping
        self.reshapes = s is not None and (s.temperature != 1.0 or s.top_k or s.top_p < 1.0)
        sizes = list(groups) if groups else [batch]
        if sum(sizes) != batch:
            raise ValueError(f"groups {sizes} do not add up to the batch of {batch}")
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self.groups = [(start, start + n) for start, n in zip(starts, sizes, strict=True)]
        self.generators = [self.sample.make_generator() if self.sample else None for _ in sizes]
        self.group_of = [g for g, n in enumerate(sizes) for _ in range(n)]  # row -> group
        self.batch = batch
        owned = self.sample is not None and self.sample.generator is None
        ahead = horizon if owned and self.sample.seed is not None else 0
        self.ahead = [ahead] * len(sizes)  # per group: steps still to draw in chunks
        self.drawn: list[deque[Tensor]] = [deque() for _ in sizes]  # per group: noise not used yet

    def __call__(self, logits: Tensor, live: list[int]) -> Tensor:
        """logits (A, V), live (A,) the batch row of each live row -> ids (A,)."""
        if self.sample is None:
            return logits.argmax(-1)
        queue = self.drawn[0]
        if queue and len(self.groups) == 1 and len(live) == self.batch:
            noise = queue.popleft()  # the common case: one stream, drawn ahead, every row live
        else:
            noise = self._noise(live, logits.shape[-1])  # (A, V)
        s = self.sample
        if self.reshapes or logits.dtype != torch.float32:
            logits = reshape_logits(logits, s.temperature, s.top_k, s.top_p)
        return draw(logits, noise)

    def _noise(self, live: list[int], vocab: int) -> Tensor:
        """Exp(1) noise (A, V) for the live rows, drawn group by group."""
        if len(self.groups) == 1:
            noise = self._group_noise(0, vocab)  # (B, V)
            return noise if len(live) == self.batch else noise[live]
        going = sorted({self.group_of[row] for row in live})
        drawn = {g: self._group_noise(g, vocab) for g in going}
        return torch.stack(
            [drawn[self.group_of[r]][r - self.groups[self.group_of[r]][0]] for r in live]
        )

    def _group_noise(self, g: int, vocab: int) -> Tensor:
        """This step's noise (rows of group ``g``, V), from its stream."""
        a, b = self.groups[g]
        queue = self.drawn[g]
        if not queue and self.ahead[g] <= 0:  # step by step (or past the horizon)
            return race_noise((b - a, vocab), self.generators[g])
        if not queue:
            steps = min(self.chunk, self.ahead[g])
            self.ahead[g] -= steps
            queue.extend(race_noise((steps * (b - a), vocab), self.generators[g]).split(b - a))
        return queue.popleft()


class GreedySearch:
    """The state of one greedy (or sampling) decoding call; see :mod:`seqlab.decode.loop`.

    The bookkeeping is in Python lists, one read of the chosen tokens per step (``tolist``),
    so a batch-1 step costs little more than the model's own step.

    Args:
        picker: chooses tokens from logits.
        first: (B,) the input of the first step (<sos>, or a prime's last token).
        limits: (B,) at most this many tokens per sentence (<eos> not counted).
        eos: the end token, or None to run every row to its limit.
        options: attention, compaction, streaming, scores (NaN without: a little faster at
            batch 1) and whether the model's outputs are log-probabilities already.
    """

    expand: Tensor | None = None  # rows are not duplicated

    def __init__(
        self,
        picker: Picker,
        first: Tensor,
        limits: Tensor,
        eos: int | None,
        *,
        options: SearchOptions = SearchOptions(),
    ):
        batch = limits.shape[0]
        self.picker, self.eos, self.limits = picker, eos, limits.tolist()
        self.scored, self.normalized = options.scores, options.normalized
        self.keep_attention, self.compact = options.attention, options.compact
        self.on_token = options.on_token
        self.rows = torch.arange(batch, device=limits.device)  # (A,) batch row of each live row
        self.live = list(range(batch))  # the same rows, as a list
        self.alive = [True] * batch  # per live row: still going (False only without compact)
        self.tokens = first  # (A,) next step's input
        self.out: list[list[int]] = [[] for _ in range(batch)]
        self.ended = [False] * batch  # per batch row: stopped at <eos>
        self.steps: list[tuple[list[int], list[bool] | None, Tensor | None, Tensor | None]] = []
        self.reorder: Tensor | None = None
        self.done = batch == 0 or max(self.limits) <= 0

    def advance(self, logits: Tensor, attn: Tensor | None) -> None:
        """logits (A, V) of the live rows, attn (A, S) or None: choose, score, retire rows."""
        t = len(self.steps)
        nxt = self.picker(logits, self.live)  # (A,)
        logp = None
        if self.scored:
            logp = logits if self.normalized else torch.log_softmax(logits, -1)
            logp = logp.gather(1, nxt[:, None]).squeeze(1)  # (A,)
        flags = None if self.compact else list(self.alive)
        self.steps.append((self.live, flags, logp, attn if self.keep_attention else None))
        fresh_rows, fresh_tokens = [], []
        for i, (row, tok) in enumerate(zip(self.live, nxt.tolist(), strict=True)):
            if not self.alive[i]:
                continue
            if tok == self.eos:
                self.ended[row], self.alive[i] = True, False
                continue
            self.out[row].append(tok)
            fresh_rows.append(row)
            fresh_tokens.append(tok)
            if t + 1 >= self.limits[row]:
                self.alive[i] = False
        if self.on_token is not None and fresh_rows:
            self.on_token(fresh_rows, fresh_tokens)
        self._retire(nxt)

    def _retire(self, nxt: Tensor) -> None:
        """Finish the call, or (with ``compact``) drop the rows that just stopped."""
        self.reorder = None
        if not any(self.alive):
            self.done = True
            return
        if self.compact and not all(self.alive):
            keep = [i for i, going in enumerate(self.alive) if going]
            self.reorder = torch.tensor(keep, device=self.rows.device)  # (A',)
            self.rows, nxt = self.rows[self.reorder], nxt[self.reorder]
            self.live, self.alive = [self.live[i] for i in keep], [True] * len(keep)
        self.tokens = nxt

    def finish(self) -> list[list[Hypothesis]]:
        """Per sentence, its one hypothesis."""
        batch = len(self.out)
        scores = self._scores(batch)
        attn = self._attention(batch)
        return [
            [
                Hypothesis(
                    self.out[b],
                    scores[b],
                    None if attn is None else attn[b, : len(self.out[b]) + self.ended[b]],
                    self.ended[b],
                )
            ]
            for b in range(batch)
        ]

    def _scores(self, batch: int) -> list[float]:
        """Each sentence's log-probability (NaN when scores were not asked for)."""
        if not self.scored:
            return [float("nan")] * batch
        scores = [0.0] * batch
        logps = torch.cat([lp for _, _, lp, _ in self.steps]).tolist() if self.steps else []
        k = 0
        for live, flags, lp, _ in self.steps:
            for i, row in enumerate(live):
                if flags is None or flags[i]:
                    scores[row] += logps[k + i]  # float64 sums, step by step
            k += lp.shape[0]
        return scores

    def _attention(self, batch: int) -> Tensor | None:
        """(B, steps, S) attention weights of every step, or None."""
        if not self.steps or self.steps[0][3] is None:
            return None
        first = self.steps[0][3]
        attn = first.new_zeros(batch, len(self.steps), first.shape[-1])
        for t, (live, _, _, weights) in enumerate(self.steps):
            attn[torch.tensor(live, device=attn.device), t] = weights
        return attn
