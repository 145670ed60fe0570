"""A recurrent language model: embedding -> Recurrent -> linear.

    tokens (B, T) --embed--> (B, T, E) --Recurrent--> (B, T, H) --[proj]--> --linear--> (B, T, V)

With ``tie_weights`` the output layer reuses the embedding matrix (Press & Wolf 2017); when the
hidden size differs from the embedding size a projection H -> E is added so the shapes meet.

``softmax="adaptive"`` replaces the V-way output layer with torch's
``nn.AdaptiveLogSoftmaxWithLoss`` (Grave et al. 2017): the frequent words (ids below the first
cutoff; the vocabulary is ordered by frequency) get a full-size head, rarer ones sit in tail
clusters with smaller projections (``div_value``). It is still an exact distribution over all V
words, but training with a 10k vocabulary costs a fraction of the full softmax.

The model scores: ``forward(tokens, state)`` returns logits (log-probabilities for the adaptive
head) and state; ``forward(tokens, state, targets)`` returns the per-token negative
log-likelihood instead, which is the cheap path for the adaptive head. ``step`` scores one
token at a time for decoding (greedy, sampling, beam), using the fast single-step path.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.models.lm_inference import LMInference
from seqlab.nn.recurrent import State, map_state, read_prime
from seqlab.nn.stack import EmbeddingChoice, RecurrentShape, embed_and_recur
from seqlab.nn.step_inference import checked, mark_checked


class LanguageModel(nn.Module):
    """Embedding -> Recurrent -> [projection] -> output layer (full or adaptive softmax)."""

    log_probs = False  # decoding (seqlab.decode.search.Decodable): step returns logits
    fast = True  # False: every step through the modules (the reference the fast step equals)
    #: checkpoint keys written before the output layer was named ``output``
    LEGACY_KEYS = {"decoder.": "output."}

    def __init__(
        self,
        vocab_size: int,
        rnn: RecurrentShape,
        *,
        embedding: EmbeddingChoice = EmbeddingChoice(),
        tie_weights: bool = False,
        softmax: str = "full",
        cutoffs: tuple[int, ...] | list[int] = (),
        div_value: float = 4.0,
    ):
        super().__init__()
        self.embedding, self.rnn = embed_and_recur(
            vocab_size, rnn, padding_idx=None, embedding=embedding
        )
        self.dropout = nn.Dropout(rnn.dropout)
        input_size = self.rnn.input_size
        self.proj = None
        if tie_weights:
            if not isinstance(self.embedding, nn.Embedding):
                raise ValueError("tie_weights needs a learned or pretrained embedding")
            if rnn.hidden_size != input_size:
                self.proj = nn.Linear(rnn.hidden_size, input_size)
        out_size = input_size if tie_weights else rnn.hidden_size
        self.output = self._output_layer(vocab_size, out_size, softmax, cutoffs, div_value)
        if tie_weights:
            if softmax != "full":
                raise ValueError("tie_weights needs softmax 'full'")
            self.output.weight = self.embedding.weight
        self.adaptive = softmax == "adaptive"
        self.vocab_size = vocab_size

    @staticmethod
    def _output_layer(
        vocab_size: int, in_features: int, softmax: str, cutoffs, div_value: float
    ) -> nn.Module:
        """A V-way linear layer, or torch's adaptive softmax over frequency-ordered ids."""
        if softmax == "full":
            return nn.Linear(in_features, vocab_size)
        if softmax != "adaptive":
            raise ValueError(f"softmax must be 'full' or 'adaptive', not {softmax!r}")
        cutoffs = list(cutoffs) or default_cutoffs(vocab_size, in_features, div_value)
        check_cutoffs(cutoffs, vocab_size, in_features, div_value)
        return nn.AdaptiveLogSoftmaxWithLoss(in_features, vocab_size, cutoffs, div_value=div_value)

    def _features(self, h: Tensor) -> Tensor:
        h = self.dropout(h)
        return self.proj(h) if self.proj is not None else h

    def _head(self, h: Tensor) -> Tensor:
        """(..., H) -> logits (..., V); log-probabilities for the adaptive head."""
        h = self._features(h)
        if not self.adaptive:
            return self.output(h)
        with torch.autocast(h.device.type, enabled=False):
            logp = self.output.log_prob(self._adaptive_input(h))
        return logp.view(*h.shape[:-1], self.vocab_size)

    def _adaptive_input(self, h: Tensor) -> Tensor:
        """(..., H) -> (N, H) in the adaptive head's own dtype (it runs outside autocast)."""
        return h.reshape(-1, h.shape[-1]).to(self.output.head.weight.dtype)

    def forward(
        self, tokens: Tensor, state: Any = None, targets: Tensor | None = None
    ) -> tuple[Tensor, Any]:
        """tokens (B, T) -> logits (B, T, V), final state.

        With ``targets`` (B, T): the per-token negative log-likelihood (B, T) in float32
        instead of the logits (the adaptive head then never builds the (B, T, V) tensor).
        """
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        out, state = self.rnn(x, state=state)  # (B, T, H)
        if targets is None:
            return self._head(out), state
        if not self.adaptive:
            logits = self._head(out)
            nll = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), reduction="none")
            return nll.view_as(targets), state
        h = self._features(out)
        with torch.autocast(h.device.type, enabled=False):
            logp = self.output(self._adaptive_input(h), targets.flatten()).output
        return -logp.float().view_as(targets), state

    def step(self, tokens: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """One decoding step: tokens (B,) -> logits (B, V), new state."""
        fast = self._inference_stepper()
        if fast is not None:
            return fast.step(tokens, state)
        x = self.dropout(self.embedding(tokens.unsqueeze(1)))[:, 0]  # (B, E)
        out, state = self.rnn.step(x, state)  # (B, H)
        return self._head(out), state

    def decoding_step(self):
        """:meth:`step` for the rest of one decoding call (weights fixed): the prepared step
        bound once, without the checks :meth:`step` makes each time."""
        fast = self._inference_stepper()
        return self.step if fast is None else fast.step

    def start(self, prime: Tensor, lengths: Tensor | None = None) -> State | None:
        """The state after reading ``prime`` (B, T) one step at a time, as generation will go
        on (T may be 0: the zero state). Decoding then feeds the token that follows.

        ``lengths`` (B,): row b reads only its first ``lengths[b]`` tokens (right padding), and
        its state then stays as it is, so primes of different lengths share a batch.
        """
        return read_prime(self.step, prime, lengths, self.rnn.initial_state)

    @staticmethod
    def select(state: State | None, index: Tensor) -> State | None:
        """Rows ``index`` (N,) of a decoding state (beam reordering, finished rows leaving)."""
        return map_state(state, lambda t: t.index_select(1, index))

    def _inference_stepper(self) -> LMInference | None:
        """The prepared step (:mod:`seqlab.models.lm_inference`), when it applies: ``fast``
        is on, eval mode, not tracing, no autograd or autocast, a plain CPU embedding."""
        cached = self.__dict__.get("_stepper")
        if checked(cached):
            return cached
        if (
            not self.fast
            or self.training
            or torch.jit.is_tracing()  # an exported graph stays the plain one
            or torch.is_grad_enabled()
            or torch.is_autocast_enabled("cpu")
            or not isinstance(self.embedding, nn.Embedding)
            or self.embedding.weight.device.type != "cpu"
        ):
            return None
        if cached is None or not cached.fresh(self):
            cached = LMInference(self)
            self.__dict__["_stepper"] = cached  # not a submodule: never saved or moved
        mark_checked(cached)
        return cached


class CutoffError(ValueError):
    """Adaptive-softmax cutoffs that do not fit the vocabulary or the hidden size."""


def check_cutoffs(cutoffs: list[int], vocab_size: int, in_features: int, div_value: float) -> None:
    if not (0 < cutoffs[0] and all(a < b for a, b in zip(cutoffs, cutoffs[1:]))):
        raise CutoffError(f"adaptive_cutoffs {cutoffs}: expected increasing ids")
    if cutoffs[-1] >= vocab_size - 1:
        raise CutoffError(
            f"adaptive_cutoffs {cutoffs}: the last must be below vocab size - 1 ({vocab_size - 1})"
        )
    if in_features // div_value ** len(cutoffs) < 1:
        raise CutoffError(
            f"adaptive_cutoffs {cutoffs}: tail cluster {len(cutoffs)} would have "
            f"{in_features} // {div_value:g}^{len(cutoffs)} = 0 dimensions; use fewer cutoffs "
            f"or a smaller adaptive_div_value"
        )


def default_cutoffs(vocab_size: int, in_features: int, div_value: float) -> list[int]:
    """Head = the 20% most frequent ids, tails split at 60%; no tail narrower than 1 dim."""
    cuts = sorted({c for c in (vocab_size // 5, vocab_size * 3 // 5) if 0 < c < vocab_size - 1})
    cuts = cuts or [max(1, vocab_size // 2)]
    while len(cuts) > 1 and in_features // div_value ** len(cuts) < 1:
        cuts.pop()
    return cuts
