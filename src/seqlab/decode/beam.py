"""Batched beam search with a length penalty and n-best output.

Each sentence keeps ``K`` live hypotheses, as ``B*K`` rows of one batch. At every step::

    candidates  score(hyp) + log p(token | hyp)          (A, K*V), A sentences still searching
    top 2K      ranked best first
    for each:   ends with <eos> and ranked in the top K -> finished (normalised score)
                otherwise -> live, until K live ones are kept
    reorder     the decoder state and the histories to the K kept rows; a sentence that is
                done leaves the batch, so later steps run on fewer rows

Taking 2K candidates guarantees K live ones even when some end in <eos>. A sentence is done when
it has K finished hypotheses, or at its length limit (then its live ones count as finished).
Finished hypotheses are ranked by ``score / length_penalty(length)``. With K = 1 this is
exactly greedy decoding. Every sentence is handled in its own rows, so its result does not
depend on the rest of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from seqlab.decode.search import Hypothesis, SelectFn, StepFn, length_penalty


@dataclass
class _Sentence:
    """Bookkeeping of one sentence's beam."""

    limit: int
    finished: list[Hypothesis] = field(default_factory=list)
    done: bool = False


class BeamSearch:
    """Beam search over ``step`` / ``select`` (see :mod:`seqlab.decode.search`)."""

    def __init__(
        self,
        beam_size: int = 5,
        n_best: int = 1,
        length_penalty: str = "gnmt",
        alpha: float = 0.6,
        attention: bool = False,
    ):
        if beam_size < 1 or not 1 <= n_best <= beam_size:
            raise ValueError(f"need 1 <= n_best ({n_best}) <= beam_size ({beam_size})")
        self.beam_size = beam_size
        self.n_best = n_best
        self.penalty = length_penalty
        self.alpha = alpha
        self.attention = attention

    def _finish(self, sent: _Sentence, tokens: list[int], score: float, attn, ended: bool):
        lp = length_penalty(len(tokens) + ended, self.penalty, self.alpha)
        sent.finished.append(Hypothesis(tokens, score / lp, attn, ended))

    @torch.no_grad()
    def search(
        self, step: StepFn, select: SelectFn, state: Any, max_lengths: Tensor, sos: int, eos: int
    ) -> list[list[Hypothesis]]:
        """max_lengths (B,) -> per sentence, its ``n_best`` hypotheses, best first."""
        B, K, device = max_lengths.shape[0], self.beam_size, max_lengths.device
        state = select(state, torch.arange(B, device=device).repeat_interleave(K))
        tokens = torch.full((B * K,), sos, dtype=torch.long, device=device)
        scores = torch.full((B, K), float("-inf"), dtype=torch.float64, device=device)
        scores[:, 0] = 0.0  # all beams start equal: keep one so the first step is not duplicated
        history = torch.zeros(B * K, 0, dtype=torch.long, device=device)  # (A*K, t)
        attn_hist: Tensor | None = None  # (A*K, t, S)
        sents = [_Sentence(int(n)) for n in max_lengths.tolist()]
        active = sents  # the A sentences still searching, in row order: sentence i has rows
        # i*K .. i*K+K-1; a finished sentence's rows leave the batch
        for t in range(int(max_lengths.max())):
            A = len(active)
            logits, state = step(tokens, state)  # (A*K, V)
            V = logits.shape[-1]
            logp = torch.log_softmax(logits, -1).double().view(A, K, V)
            cand = (scores.unsqueeze(-1) + logp).view(A, K * V)
            top_scores, top_idx = cand.topk(min(2 * K, K * V), dim=-1)  # (A, 2K)
            step_attn = getattr(state, "attn", None) if self.attention else None
            if step_attn is not None:
                step_attn = step_attn.unsqueeze(1)  # (A*K, 1, S)
                attn_now = step_attn if attn_hist is None else torch.cat([attn_hist, step_attn], 1)
            else:
                attn_now = None
            rows, new_tokens, new_scores = self._advance(
                t, active, top_scores.tolist(), top_idx.tolist(), V, eos, history, attn_now
            )
            going = [i for i, sent in enumerate(active) if not sent.done]
            if not going:
                break
            if len(going) < A:  # compact: keep only the rows of sentences still searching
                keep = [i * K + k for i in going for k in range(K)]
                rows, new_tokens = [rows[j] for j in keep], [new_tokens[j] for j in keep]
                new_scores = [new_scores[j] for j in keep]
                active = [active[i] for i in going]
            rows_t = torch.tensor(rows, device=device)
            tokens = torch.tensor(new_tokens, device=device)
            scores = torch.tensor(new_scores, dtype=torch.float64, device=device).view(-1, K)
            history = torch.cat([history[rows_t], tokens[:, None]], 1)
            attn_hist = attn_now[rows_t] if attn_now is not None else None
            state = select(state, rows_t)
        return [self._best(s) for s in sents]

    def _advance(self, t, sents, top_scores, top_idx, V, eos, history, attn_now):
        """Pick each sentence's K live rows; move <eos> endings (and all at the limit) to
        finished. Returns the source row, token and score of every new row (A*K each)."""
        K = self.beam_size
        rows, new_tokens, new_scores = [], [], []
        for b, sent in enumerate(sents):
            live = []
            for rank, (score, idx) in enumerate(zip(top_scores[b], top_idx[b], strict=True)):
                row, tok = b * K + idx // V, idx % V
                if tok == eos:
                    if rank < K and not sent.done and score > float("-inf"):
                        attn = attn_now[row] if attn_now is not None else None
                        self._finish(sent, history[row].tolist(), score, attn, True)
                elif len(live) < K:
                    live.append((row, tok, score))
            while len(live) < K:  # tiny vocabularies only
                live.append((live[0][0] if live else b * K, eos, float("-inf")))
            sent.done = sent.done or len(sent.finished) >= K
            if not sent.done and t + 1 >= sent.limit:
                for row, tok, score in live:
                    if score > float("-inf"):
                        attn = attn_now[row] if attn_now is not None else None
                        self._finish(sent, history[row].tolist() + [tok], score, attn, False)
                sent.done = True
            for row, tok, score in live:
                rows.append(row)
                new_tokens.append(tok)
                new_scores.append(score)
        return rows, new_tokens, new_scores

    def _best(self, sent: _Sentence) -> list[Hypothesis]:
        ranked = sorted(sent.finished, key=lambda h: h.score, reverse=True)
        return ranked[: self.n_best]


def beam_search(
    step: StepFn,
    select: SelectFn,
    state: Any,
    max_lengths: Tensor,
    sos: int,
    eos: int,
    beam_size: int = 5,
    n_best: int = 1,
    length_penalty: str = "gnmt",
    alpha: float = 0.6,
    attention: bool = False,
) -> list[list[Hypothesis]]:
    """Functional form of :class:`BeamSearch`; see there."""
    search = BeamSearch(beam_size, n_best, length_penalty, alpha, attention)
    return search.search(step, select, state, max_lengths, sos, eos)
