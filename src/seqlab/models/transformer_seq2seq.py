"""A Transformer encoder-decoder (Vaswani et al. 2017, pre-LN): translation without recurrence.

    src (B, S) --embed·sqrt(D) + positions--> [TransformerBlock x N, padding mask]
               --LayerNorm--> memory (B, S, D)
    <sos> y_1 .. y_{T-1} --embed·sqrt(D) + positions--> [DecoderBlock x N: causal
               self-attention, cross-attention over memory, feed-forward]
               --LayerNorm--> (B, T, D) --linear (tied to the target embedding)--> logits (B, T, V)

The recurrent model (:mod:`seqlab.models.seq2seq`) reads the source one token after another
and hands the decoder a summary (the context vector) or an attention over its states. Here
every source position reads every other in one step, and every decoder layer looks at the
whole memory: no path between two tokens is longer than one attention step per layer.

Training is teacher-forced over the whole target at once (the causal mask keeps position t
from seeing y_t and later). Decoding follows the protocol of the recurrent model (``start``,
``step``, ``select``), so the one loop of :mod:`seqlab.decode.loop` drives greedy, sampling and
beam search; the state (:class:`TransformerDecoderState`) holds each layer's self-attention
key/value cache and the memory's keys and values, computed once per source, so a step costs
O(t + S). ``state.attn`` is the last layer's cross-attention of the step, averaged over heads.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from seqlab.data.vocab import PAD_ID
from seqlab.nn.kv_cache import KVCache
from seqlab.nn.masks import causal_mask
from seqlab.nn.positions import build_positions
from seqlab.nn.transformer_block import BlockShape, DecoderBlock, TransformerBlock

MAX_POSITIONS = 1024  # the longest source or target the positions are defined for


class TransformerDecoderState(NamedTuple):
    """What decoding carries between steps.

    memory: per decoder layer, the cross-attention keys and values of the source (B, h, S, d_k).
    mask: (B, S) bool, True at real source tokens.
    caches: per decoder layer, the self-attention cache (B, h, t, d_k) of the t tokens fed.
    positions: (B,) long, the position the next target token takes.
    attn: (B, S), the last step's cross-attention weights (last layer, mean over heads).
    """

    memory: tuple[KVCache, ...]
    mask: Tensor
    caches: tuple[KVCache, ...]
    positions: Tensor
    attn: Tensor | None = None


class TransformerSeq2Seq(nn.Module):
    """Source and target embeddings, N encoder blocks, N decoder blocks, a tied output layer.

    Args:
        src_vocab_size / tgt_vocab_size: the two vocabularies (V_src, V).
        block: the sizes of every block (:class:`~seqlab.nn.transformer_block.BlockShape`);
            its ``d_model`` is the embedding size D.
        num_layers: N, blocks in the encoder and in the decoder.
        positions: "sinusoidal" (Vaswani) or "learned"; shared by both sides.
        max_len: the longest source or target.
    """

    log_probs = False  # decoding (seqlab.decode.search.Decodable): step returns logits
    has_attention = True

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        block: BlockShape,
        *,
        num_layers: int,
        positions: str = "sinusoidal",
        max_len: int = MAX_POSITIONS,
    ):
        super().__init__()
        d_model = block.d_model
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=PAD_ID)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model, padding_idx=PAD_ID)
        self.positions = build_positions(positions, max_len, d_model)
        self.dropout = nn.Dropout(block.dropout)
        self.encoder_blocks = nn.ModuleList(TransformerBlock(block) for _ in range(num_layers))
        self.encoder_norm = nn.LayerNorm(d_model)
        self.decoder_blocks = nn.ModuleList(DecoderBlock(block) for _ in range(num_layers))
        self.decoder_norm = nn.LayerNorm(d_model)
        self.output = nn.Linear(d_model, tgt_vocab_size)
        self.output.weight = self.tgt_embedding.weight  # Press & Wolf 2017
        self.scale, self.max_len = math.sqrt(d_model), max_len
        self._init_weights(d_model)

    def _init_weights(self, d_model: int) -> None:
        """Linear weights Xavier-uniform, biases 0 (as ``nn.Transformer``); embeddings
        N(0, 1/D), so that embedding * sqrt(D) has unit scale beside the positions and the tied
        output layer starts with logits of unit scale."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        for table in (self.src_embedding, self.tgt_embedding):
            nn.init.normal_(table.weight, std=d_model**-0.5)
            with torch.no_grad():
                table.weight[PAD_ID].zero_()

    def _embed(self, table: nn.Embedding, tokens: Tensor, offset: int | Tensor = 0) -> Tensor:
        """tokens (B, T) -> dropout(E[tokens] * sqrt(D) + P[offset + t]): (B, T, D)."""
        return self.dropout(self.positions(table(tokens) * self.scale, offset))

    def encode(self, src: Tensor, src_lengths: Tensor | None = None) -> Tensor:
        """src (B, S) -> memory (B, S, D). Padding (``PAD_ID``) is never attended to."""
        mask = (src != PAD_ID)[:, None, None, :]  # (B, 1, 1, S)
        x = self._embed(self.src_embedding, src)  # (B, S, D)
        for block in self.encoder_blocks:
            x, _ = block(x, mask)
        return self.encoder_norm(x)  # (B, S, D)

    def start(self, src: Tensor, src_lengths: Tensor) -> TransformerDecoderState:
        """src (B, S), src_lengths (B,) -> the decoder state before the first step: the
        memory's keys and values for every decoder layer, no target token yet."""
        memory = self.encode(src, src_lengths)  # (B, S, D)
        keys = tuple(block.memory_keys(memory) for block in self.decoder_blocks)
        positions = torch.zeros(src.shape[0], dtype=torch.long, device=src.device)
        return TransformerDecoderState(keys, src != PAD_ID, (), positions)

    def step(
        self, tokens: Tensor, state: TransformerDecoderState
    ) -> tuple[Tensor, TransformerDecoderState]:
        """One decoding step: tokens (B,) -> logits (B, V) and the state one token longer."""
        x = self._embed(self.tgt_embedding, tokens[:, None], state.positions)  # (B, 1, D)
        memory_mask = state.mask[:, None, None, :]  # (B, 1, 1, S)
        caches, weights, last = [], None, len(self.decoder_blocks) - 1
        for index, block in enumerate(self.decoder_blocks):
            cache = state.caches[index] if state.caches else None
            x, cache, weights = block.with_weights(
                x, state.memory[index], (None, memory_mask), cache, need_weights=index == last
            )
            caches.append(cache)
        logits = self.output(self.decoder_norm(x))[:, 0]  # (B, V)
        attn = weights.mean(dim=1)[:, 0]  # (B, h, 1, S) -> (B, S)
        return logits, state._replace(
            caches=tuple(caches), positions=state.positions + 1, attn=attn
        )

    @staticmethod
    def select(state: TransformerDecoderState, index: Tensor) -> TransformerDecoderState:
        """Rows ``index`` (N,) of a decoding state (beam reordering, finished rows leaving)."""
        return TransformerDecoderState(
            tuple(kv.select(index) for kv in state.memory),
            state.mask.index_select(0, index),
            tuple(cache.select(index) for cache in state.caches),
            state.positions.index_select(0, index),
            None if state.attn is None else state.attn.index_select(0, index),
        )

    def forward(
        self,
        src: Tensor,
        src_lengths: Tensor,
        tgt_in: Tensor,
        *,
        teacher_forcing: float = 1.0,
        keep: Tensor | None = None,
    ) -> tuple[Tensor, None]:
        """src (B, S), src_lengths (B,), tgt_in (B, T) = <sos> y_1 .. y_{T-1} -> logits
        (B, T, V) (or (N, V) at the N positions where ``keep`` (B, T) is True), and None (the
        weights are kept only in decoding: ``step``'s ``state.attn``).

        Every target position is computed at once; only full teacher forcing is defined."""
        if teacher_forcing != 1.0:
            raise ValueError("a Transformer trains with teacher_forcing 1.0 only")
        memory = self.encode(src, src_lengths)  # (B, S, D)
        masks = (causal_mask(tgt_in.shape[1], device=src.device), (src != PAD_ID)[:, None, None])
        x = self._embed(self.tgt_embedding, tgt_in)  # (B, T, D)
        for block in self.decoder_blocks:
            x, _ = block(x, block.memory_keys(memory), masks)  # (B, T, D)
        x = self.decoder_norm(x)
        return self.output(x if keep is None else x[keep]), None  # (B, T, V) or (N, V)
