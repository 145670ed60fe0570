"""Beam search, batched: K hypotheses per sentence, finished sentences leave the batch.

Each sentence owns K consecutive rows of the batch. At every step all K*V continuations of a
sentence are scored by total log-probability, and the best ones become the new beam::

    step t:   beams (B*K rows) --model.step--> log p (B, K, V)
              candidates = beam score + log p      (B, K*V)
              top 2K per sentence -> <eos> endings are finished hypotheses (kept aside),
                                     the best K others are the live beam for step t+1
              the state follows its rows: model.select(state, source row of each new row)

Taking 2K candidates guarantees K live ones even when some end in <eos>. A sentence is done when
it has K finished hypotheses, or at its length limit (then its live ones count as finished).
Finished hypotheses are ranked by ``score / length_penalty(length)``. With K = 1 this is
exactly greedy decoding. Every sentence is handled in its own rows, so its result does not
depend on the rest of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from seqlab.decode.search import Hypothesis, SearchOptions, length_penalty
from seqlab.decode.strategy import Beam

_NEG_INF = float("-inf")


@dataclass
class _Sentence:
    """Bookkeeping of one sentence's beam."""

    limit: int
    finished: list[Hypothesis] = field(default_factory=list)
    done: bool = False


@dataclass
class _Candidates:
    """One step's best 2K continuations of every active sentence (Python lists, row-major)."""

    scores: list[list[float]]  # (A, 2K) total log-probabilities
    index: list[list[int]]  # (A, 2K) flat index row_in_beam * V + token
    vocab: int
    attn: Tensor | None  # (A*K, t+1, S) attention history including this step, or None


class BeamSearch:
    """The state of one beam-search call; see :mod:`seqlab.decode.loop`.

    Args:
        beam: the options (size K, n_best, length penalty).
        first: (B,) the input of the first step (<sos>).
        limits: (B,) at most this many tokens per sentence.
        eos: the end token.
        options: ``attention`` and ``normalized`` apply (beam search always compacts, and
            neither streams nor skips scores).
    """

    def __init__(
        self, beam: Beam, first: Tensor, limits: Tensor, eos: int, *, options: SearchOptions
    ):
        B, K, device = limits.shape[0], beam.size, limits.device
        self.beam, self.eos, self.keep_attention = beam, eos, options.attention
        self.normalized = options.normalized  # outputs are log-probabilities already
        self.expand = torch.arange(B, device=device).repeat_interleave(K)  # each sentence K times
        self.tokens = first.repeat_interleave(K)  # (B*K,)
        self.scores = torch.full((B, K), _NEG_INF, dtype=torch.float64, device=device)
        self.scores[:, 0] = 0.0  # all beams start equal: keep one so step 1 is not duplicated
        self.history = torch.zeros(B * K, 0, dtype=torch.long, device=device)  # (A*K, t)
        self.attn_hist: Tensor | None = None  # (A*K, t, S)
        self.sents = [_Sentence(int(n)) for n in limits.tolist()]
        self.active = self.sents  # the A sentences still searching, in row order
        self.reorder: Tensor | None = None
        self.t = 0
        self.done = B == 0 or int(limits.max()) <= 0

    def advance(self, logits: Tensor, attn: Tensor | None) -> None:
        """logits (A*K, V), attn (A*K, S) or None: extend, finish and prune every beam."""
        A, K, V = len(self.active), self.beam.size, logits.shape[-1]
        logp = logits if self.normalized else torch.log_softmax(logits, -1)
        top_scores, top_idx = self._best(logp, A, K, V)  # (A, 2K) each
        attn_now = None
        if attn is not None and self.keep_attention:
            attn_now = attn.unsqueeze(1)  # (A*K, 1, S)
            if self.attn_hist is not None:
                attn_now = torch.cat([self.attn_hist, attn_now], 1)
        found = _Candidates(top_scores.tolist(), top_idx.tolist(), V, attn_now)
        rows, tokens, scores = [], [], []
        for b, sent in enumerate(self.active):
            for row, tok, score in self._extend(b, sent, found):
                rows.append(row)
                tokens.append(tok)
                scores.append(score)
        self.t += 1
        self._prune(rows, tokens, scores, attn_now)

    def _best(self, logp: Tensor, A: int, K: int, V: int) -> tuple[Tensor, Tensor]:
        """The best 2K continuations of each sentence: total scores (A, 2K) float64, and flat
        indices ``row_in_beam * V + token`` (A, 2K).

        Each beam row contributes at most 2K of them, and adding its score keeps a row's order,
        so each row's own top 2K (over V, in the step's dtype) are the only candidates: 2K*K
        sums in float64 instead of K*V."""
        per_row = min(2 * K, V)
        row_best, row_token = logp.topk(per_row, dim=-1)  # (A*K, 2K)
        cand = self.scores.unsqueeze(-1) + row_best.double().view(A, K, per_row)
        top_scores, pos = cand.view(A, K * per_row).topk(min(2 * K, K * per_row), dim=-1)
        token = row_token.view(A, K * per_row).gather(1, pos)
        return top_scores, (pos // per_row) * V + token

    def _extend(self, b: int, sent: _Sentence, found: _Candidates) -> list[tuple[int, int, float]]:
        """Sentence ``b``'s K live (row, token, score) continuations; moves <eos> endings (and
        every live one at the length limit) to its finished list."""
        K, V = self.beam.size, found.vocab
        live = []
        for rank, (score, idx) in enumerate(zip(found.scores[b], found.index[b], strict=True)):
            row, tok = b * K + idx // V, idx % V
            if tok == self.eos:
                if rank < K and not sent.done and score > _NEG_INF:
                    self._finish(sent, row, [], score, found.attn)
            elif len(live) < K:
                live.append((row, tok, score))
        while len(live) < K:  # tiny vocabularies only
            live.append((live[0][0] if live else b * K, self.eos, _NEG_INF))
        sent.done = sent.done or len(sent.finished) >= K
        if not sent.done and self.t + 1 >= sent.limit:
            for row, tok, score in live:
                if score > _NEG_INF:
                    self._finish(sent, row, [tok], score, found.attn)
            sent.done = True
        return live

    def _finish(
        self, sent: _Sentence, row: int, tail: list[int], score: float, attn: Tensor | None
    ) -> None:
        """Add row ``row``'s hypothesis (its history + ``tail``) to the sentence's finished."""
        tokens = self.history[row].tolist() + tail
        ended = not tail  # an <eos> ending adds no token; a limit ending adds the last one
        lp = length_penalty(len(tokens) + ended, self.beam.length_penalty, self.beam.alpha)
        weights = attn[row] if attn is not None else None
        sent.finished.append(Hypothesis(tokens, score / lp, weights, ended))

    def _prune(self, rows: list, tokens: list, scores: list, attn_now: Tensor | None) -> None:
        """Keep the rows of sentences still searching; they become the next step's beam."""
        K, device = self.beam.size, self.history.device
        going = [i for i, sent in enumerate(self.active) if not sent.done]
        if not going:
            self.done, self.reorder = True, None
            return
        if len(going) < len(self.active):  # compact: a finished sentence leaves the batch
            keep = [i * K + k for i in going for k in range(K)]
            rows, tokens = [rows[j] for j in keep], [tokens[j] for j in keep]
            scores = [scores[j] for j in keep]
            self.active = [self.active[i] for i in going]
        rows_t = torch.tensor(rows, device=device)
        self.tokens = torch.tensor(tokens, device=device)
        self.scores = torch.tensor(scores, dtype=torch.float64, device=device).view(-1, K)
        self.history = torch.cat([self.history[rows_t], self.tokens[:, None]], 1)
        self.attn_hist = attn_now[rows_t] if attn_now is not None else None
        self.reorder = rows_t

    def finish(self) -> list[list[Hypothesis]]:
        """Per sentence, its ``n_best`` hypotheses, best first."""
        return [
            sorted(s.finished, key=lambda h: h.score, reverse=True)[: self.beam.n_best]
            for s in self.sents
        ]
