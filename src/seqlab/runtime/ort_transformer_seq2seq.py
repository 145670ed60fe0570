"""A Transformer encoder-decoder on ONNX Runtime: the encoder and decoder step graphs of
:mod:`seqlab.export.transformer_seq2seq_graphs`, with the interface of
:class:`~seqlab.models.transformer_seq2seq.TransformerSeq2Seq` (``start``, ``step``,
``select``), so the one decoding loop drives greedy, sampling and beam search.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from torch import Tensor

from seqlab.runtime.manifest import Manifest
from seqlab.runtime.ort import RuntimeModel, Session, _np, _t
from seqlab.runtime.ort_transformer import check_position, take_rows


class DecoderCache(NamedTuple):
    """memory_keys, memory_values (L, B, h, S, d_k): the source's cross-attention keys and
    values; mask (B, S) bool, True at real source tokens; keys, values (L, B, h, t, d_k): the
    self-attention cache of the t target tokens fed; positions (B,) int64, the next token's
    position; attn (B, S) (a torch tensor), the last step's cross-attention, or None."""

    memory_keys: np.ndarray
    memory_values: np.ndarray
    mask: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    positions: np.ndarray
    attn: Tensor | None = None


class OrtTransformerSeq2Seq(RuntimeModel):
    """The encoder graph once per batch, the decoder step graph per token."""

    has_attention = True

    def __init__(self, export_dir: Path, manifest: Manifest, threads: int = 0):
        self.encoder = Session.of(export_dir, manifest, "encoder", threads)
        self.decoder = Session.of(export_dir, manifest, "step", threads)
        self.max_len = manifest.transformer.max_len

    def start(self, src: Tensor, src_lengths: Tensor) -> DecoderCache:
        """src (B, S), src_lengths (B,) -> the state before the first step (t = 0)."""
        out = self.encoder(src=_np(src), lengths=_np(src_lengths))
        layers, batch, heads, _, head_dim = out["memory_keys"].shape
        empty = np.zeros((layers, batch, heads, 0, head_dim), dtype=np.float32)
        positions = np.zeros(batch, dtype=np.int64)
        memory = (out["memory_keys"], out["memory_values"], out["mask"])
        return DecoderCache(*memory, empty, empty, positions)

    encode = start

    def step(self, tokens: Tensor, state: DecoderCache) -> tuple[Tensor, DecoderCache]:
        """tokens (B,) -> log-probabilities (B, V), the state one token longer (``attn``)."""
        check_position(int(state.positions.max(initial=0)), self.max_len)
        feeds = {
            n: getattr(state, n) for n in ("positions", "memory_keys", "memory_values", "mask")
        }
        out = self.decoder(
            tokens=_np(tokens), past_keys=state.keys, past_values=state.values, **feeds
        )
        new = state._replace(
            keys=out["keys_out"],
            values=out["values_out"],
            positions=state.positions + 1,
            attn=_t(out["attn"]),
        )
        return _t(out["logp"]), new

    @staticmethod
    def select(state: DecoderCache, index: Tensor) -> DecoderCache:
        """Rows ``index`` (N,) of the state (beam reordering, finished rows leaving)."""
        return take_rows(state, index, ("memory_keys", "memory_values", "keys", "values"))
