"""A decoder-only Transformer language model, GPT-style: attention without recurrence.

    tokens (B, T) --embed--> (B, T, D) --+ positions--> [TransformerBlock x N, causal mask]
              --LayerNorm--> (B, T, D) --linear--> logits (B, T, V)

Where the recurrent model (:mod:`seqlab.models.lm`) carries everything it knows about the past in
one state vector h_t, this model looks the past up: at every layer position t attends to all
positions s <= t through the causal mask (:mod:`seqlab.nn.masks`), so the path from any token to
any later one is one attention step long. The blocks are pre-LN, hence the final LayerNorm.

Decoding follows the same protocol as the recurrent model (``start``, ``step``, ``select``;
:class:`seqlab.decode.search.Decodable`), so the one loop of :mod:`seqlab.decode.loop` drives
greedy, sampling and beam search over it. Its state is a :class:`TransformerState`: each block's
key/value cache, so a step feeds one token and costs O(t), not the O(t^2) of recomputing the prefix.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.nn.kv_cache import KVCache
from seqlab.nn.masks import causal_mask, key_padding_mask
from seqlab.nn.positions import build_positions
from seqlab.nn.transformer_block import BlockShape, TransformerBlock


class TransformerState(NamedTuple):
    """What decoding carries between steps.

    caches: one :class:`~seqlab.nn.kv_cache.KVCache` per block, keys and values (B, h, t, d_k).
    real: (B, t) bool, True where a cached position holds a real token; False for the padding of
        a shorter prime, which is never attended to again.
    positions: (B,) long, the position the next token of each row takes.
    tokens: (B, t) long, the tokens read so far (the padding included), from which a full
        window is read again when generation slides it along.
    """

    caches: tuple[KVCache, ...]
    real: Tensor
    positions: Tensor
    tokens: Tensor


class TransformerLM(nn.Module):
    """Embedding + positions -> N pre-LN blocks (causal) -> LayerNorm -> output layer.

    Args:
        vocab_size: V.
        block: the sizes of every block (:class:`~seqlab.nn.transformer_block.BlockShape`);
            its ``d_model`` is the embedding size D.
        num_layers: N, the number of blocks.
        max_len: the longest sequence (prime and output together) positions are defined for.
        positions: "learned" (GPT) or "sinusoidal".
        tie_weights: the output layer reuses the embedding matrix (Press & Wolf 2017), as GPT.
    """

    log_probs = False  # decoding (seqlab.decode.search.Decodable): step returns logits
    carries_state = False  # training reads each window on its own (no truncated BPTT)

    def __init__(
        self,
        vocab_size: int,
        block: BlockShape,
        *,
        num_layers: int,
        max_len: int,
        positions: str = "learned",
        tie_weights: bool = True,
    ):
        super().__init__()
        d_model = block.d_model
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.positions = build_positions(positions, max_len, d_model)
        self.dropout = nn.Dropout(block.dropout)
        self.blocks = nn.ModuleList(TransformerBlock(block) for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model)
        self.output = nn.Linear(d_model, vocab_size)
        if tie_weights:
            self.output.weight = self.embedding.weight
        self.vocab_size, self.max_len = vocab_size, max_len
        self.apply(_gpt_init)

    def forward(
        self, tokens: Tensor, state: TransformerState | None = None, targets: Tensor | None = None
    ) -> tuple[Tensor, TransformerState]:
        """tokens (B, T) after ``state`` (t cached positions, or none) -> logits (B, T, V) and
        the state of t + T positions.

        With ``targets`` (B, T): the per-token negative log-likelihood (B, T) in float32 instead
        of the logits, as the recurrent model returns it.
        """
        state = state or self.empty_state(tokens.shape[0], tokens.device)
        steps = tokens.shape[1]
        real = torch.cat([state.real, tokens.new_ones(tokens.shape, dtype=torch.bool)], dim=1)
        x = self.dropout(self.positions(self.embedding(tokens), state.positions))  # (B, T, D)
        mask = self._mask(steps, real)  # (B, 1, T, t + T) or (T, t + T) or None
        caches = []
        for index, block in enumerate(self.blocks):
            x, cache = block(x, mask, state.caches[index] if state.caches else None)  # (B, T, D)
            caches.append(cache)
        seen = torch.cat([state.tokens, tokens], dim=1)  # (B, t + T)
        new_state = TransformerState(tuple(caches), real, state.positions + steps, seen)
        logits = self.output(self.norm(x))  # (B, T, V)
        if targets is None:
            return logits, new_state
        nll = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), reduction="none")
        return nll.view_as(targets), new_state

    @staticmethod
    def _mask(steps: int, real: Tensor) -> Tensor | None:
        """Causal, and blind to the padding of earlier primes: real (B, t + T) -> bool mask.

        A single step (T = 1) sees every real key, so with no padding it needs no mask at all."""
        keys = real.shape[1]
        padded = not bool(real.all())
        if steps == 1 and not padded:
            return None
        mask = causal_mask(steps, keys, real.device)  # (T, t + T)
        if padded:
            mask = mask & real[:, None, None, :]  # (B, 1, T, t + T)
        return mask

    def empty_state(self, batch_size: int, device=None) -> TransformerState:
        """No position read yet: no caches, real (B, 0), positions (B,) zeros."""
        real = torch.ones(batch_size, 0, dtype=torch.bool, device=device)
        zeros = torch.zeros(batch_size, dtype=torch.long, device=device)
        return TransformerState((), real, zeros, zeros[:, None][:, :0])

    def step(
        self, tokens: Tensor, state: TransformerState | None = None
    ) -> tuple[Tensor, TransformerState]:
        """One decoding step: tokens (B,) -> logits (B, V) and the state one position longer.

        Only the new token is projected; it attends to the t cached keys: O(t) work. When a row
        would pass the last position (``max_len``), the window slides: every row reads its last
        ``max_len // 2`` tokens again (:meth:`slide`), and decoding goes on from there."""
        if state is not None and int(state.positions.max()) >= self.max_len:
            state = self.slide(state)
        logits, state = self(tokens.unsqueeze(1), state)  # (B, 1, V)
        return logits[:, 0], state

    def slide(self, state: TransformerState) -> TransformerState:
        """The state after reading again only the last ``max_len // 2`` real tokens of each row
        (all of a row's tokens when it has fewer), from position 0: O(max_len^2) work once every
        ``max_len // 2`` steps, as a GPT crops its context to the window it was trained on."""
        keep = max(1, self.max_len // 2)
        rows = [row[real][-keep:] for row, real in zip(state.tokens, state.real, strict=True)]
        return self._read(rows)

    def _read(self, rows: list[Tensor]) -> TransformerState:
        """The state after reading token rows of different lengths (each (T_b,), T_b >= 1)."""
        lengths = torch.tensor([len(r) for r in rows], device=rows[0].device)
        prime = nn.utils.rnn.pad_sequence(rows, batch_first=True)  # (B, T) right padded
        return self.start(prime, lengths)

    def start(self, prime: Tensor, lengths: Tensor | None = None) -> TransformerState | None:
        """The state after reading ``prime`` (B, T) all at once (T may be 0: no state).

        ``lengths`` (B,): row b reads only its first ``lengths[b]`` tokens (right padding). The
        padding stays in the cache but is marked not real, and each row's next position is its
        own length, so primes of different lengths share a batch and decode as if alone.
        """
        if prime.shape[1] == 0:
            return None
        if prime.shape[1] > self.max_len:  # read only the window the model was trained on
            lengths = (
                lengths if lengths is not None else prime.new_full(prime.shape[:1], prime.shape[1])
            )
            keep = max(1, self.max_len // 2)
            return self._read(
                [row[:n][-keep:] for row, n in zip(prime, lengths.tolist(), strict=True)]
            )
        if lengths is None:
            return self(prime)[1]
        state = self.empty_state(prime.shape[0], prime.device)
        real = key_padding_mask(lengths.to(prime.device), prime.shape[1])  # (B, T)
        # the padding reads like real tokens here: a padded query sees its own row's prefix,
        # and the causal mask keeps every real query away from the padding after it
        _, state = self(prime, state)
        return state._replace(real=real, positions=lengths.to(prime.device))

    @staticmethod
    def select(state: TransformerState | None, index: Tensor) -> TransformerState | None:
        """Rows ``index`` (N,) of a decoding state (beam reordering, finished rows leaving)."""
        if state is None:
            return None
        caches = tuple(cache.select(index) for cache in state.caches)
        return TransformerState(
            caches, state.real[index], state.positions[index], state.tokens[index]
        )


def _gpt_init(module: nn.Module) -> None:
    """GPT-2's initialisation: weights of linear and embedding layers ~ N(0, 0.02), biases 0.

    Embeddings at torch's default N(0, 1) would make the tied output layer's first logits
    about sqrt(D) times too large."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
