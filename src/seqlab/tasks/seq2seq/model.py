"""The encoder-decoder a model section describes: recurrent (with or without attention) or a
Transformer (``model.arch``)."""

from __future__ import annotations

from seqlab.models.build import block_shape, recurrent_shape
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.transformer_seq2seq import TransformerSeq2Seq
from seqlab.tasks.seq2seq.config import Seq2SeqModelConfig


def build_model(
    config: Seq2SeqModelConfig, src_vocab_size: int, tgt_vocab_size: int
) -> Seq2Seq | TransformerSeq2Seq:
    """A fresh model of ``config``'s shape for vocabularies of these sizes."""
    if config.arch == "transformer":
        return TransformerSeq2Seq(
            src_vocab_size,
            tgt_vocab_size,
            block_shape(config),
            num_layers=config.num_layers,
            positions=config.positions,
        )
    return Seq2Seq(
        src_vocab_size,
        tgt_vocab_size,
        recurrent_shape(config, bidirectional=config.bidirectional),
        attention=config.attention,
        score=config.score,
        attention_size=config.attention_size,
        input_feed=config.input_feed,
        bridge=config.bridge,
    )
