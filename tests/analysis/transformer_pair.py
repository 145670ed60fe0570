"""A small encoder-decoder Transformer assembled from seqlab's blocks, for the attention-map
tests: the attribute names and the decoding protocol (``start``, ``step``, ``select``) of an
encoder-decoder run, with nothing but :mod:`seqlab.nn` inside."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from seqlab.nn.kv_cache import KVCache
from seqlab.nn.masks import key_padding_mask
from seqlab.nn.positions import build_positions
from seqlab.nn.transformer_block import BlockShape, DecoderBlock, TransformerBlock


class PairState(NamedTuple):
    memory: tuple[KVCache, ...]  # per decoder block: cross-attention keys, values (B, h, S, d_k)
    memory_mask: Tensor  # (B, 1, 1, S) bool
    caches: tuple[KVCache, ...]  # per decoder block: self-attention cache (B, h, t, d_k)
    position: int
    attn: None = None  # no single attention row to keep (decode's Attending protocol)


class TransformerPair(nn.Module):
    log_probs = False

    def __init__(self, src_vocab: int, tgt_vocab: int, block: BlockShape, num_layers: int):
        super().__init__()
        d_model = block.d_model
        self.src_embedding = nn.Embedding(src_vocab, d_model)
        self.tgt_embedding = nn.Embedding(tgt_vocab, d_model)
        self.positions = build_positions("sinusoidal", 64, d_model)
        self.encoder_blocks = nn.ModuleList(TransformerBlock(block) for _ in range(num_layers))
        self.encoder_norm = nn.LayerNorm(d_model)
        self.decoder_blocks = nn.ModuleList(DecoderBlock(block) for _ in range(num_layers))
        self.decoder_norm = nn.LayerNorm(d_model)
        self.output = nn.Linear(d_model, tgt_vocab)

    def encode(self, src: Tensor, src_lengths: Tensor) -> Tensor:
        """src (B, S) -> memory (B, S, D)."""
        x = self.positions(self.src_embedding(src))
        mask = key_padding_mask(src_lengths, src.shape[1])[:, None, None, :]  # (B, 1, 1, S)
        for block in self.encoder_blocks:
            x, _ = block(x, mask)
        return self.encoder_norm(x)

    def start(self, src: Tensor, src_lengths: Tensor) -> PairState:
        memory = self.encode(src, src_lengths)
        keys = tuple(block.memory_keys(memory) for block in self.decoder_blocks)
        mask = key_padding_mask(src_lengths, src.shape[1])[:, None, None, :]
        return PairState(keys, mask, (), 0)

    def step(self, tokens: Tensor, state: PairState) -> tuple[Tensor, PairState]:
        """tokens (B,) -> logits (B, V), the state one position longer."""
        x = self.positions(self.tgt_embedding(tokens[:, None]), state.position)  # (B, 1, D)
        caches = []
        for index, block in enumerate(self.decoder_blocks):
            cache = state.caches[index] if state.caches else None
            x, cache = block(x, state.memory[index], (None, state.memory_mask), cache)
            caches.append(cache)
        logits = self.output(self.decoder_norm(x))[:, 0]  # (B, V)
        return logits, state._replace(caches=tuple(caches), position=state.position + 1)

    @staticmethod
    def select(state: PairState, index: Tensor) -> PairState:
        return PairState(
            tuple(m.select(index) for m in state.memory),
            state.memory_mask[index],
            tuple(c.select(index) for c in state.caches),
            state.position,
        )


def tiny_pair(src_vocab: int, tgt_vocab: int, seed: int = 0) -> TransformerPair:
    torch.manual_seed(seed)
    return TransformerPair(src_vocab, tgt_vocab, BlockShape(16, 2, 32), num_layers=2).eval()
