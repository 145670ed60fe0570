"""The attention maps are torch's own weights: rows are distributions, causal rows see no
future, and they equal ``nn.MultiheadAttention``'s per-head weights for copied layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.analysis.attention_maps import (
    has_attention_maps,
    lm_attention,
    recording,
    seq2seq_attention,
)
from seqlab.models.transformer_lm import TransformerLM
from seqlab.models.transformer_seq2seq import TransformerSeq2Seq
from seqlab.nn.masks import causal_mask
from seqlab.nn.transformer_block import BlockShape

D, HEADS, LAYERS = 16, 4, 2


def tiny_pair(seed: int = 0) -> TransformerSeq2Seq:
    """An encoder-decoder Transformer over 9 source and 8 target tokens, 2 heads, 2 layers."""
    torch.manual_seed(seed)
    return TransformerSeq2Seq(9, 8, BlockShape(16, 2, 32), num_layers=2).eval()


def _lm_and_torch_layers() -> tuple[TransformerLM, list[nn.TransformerEncoderLayer]]:
    torch.manual_seed(0)
    lm = TransformerLM(11, BlockShape(D, HEADS, 32), num_layers=LAYERS, max_len=32).eval()
    layers = []
    for block in lm.blocks:
        layer = nn.TransformerEncoderLayer(
            D, HEADS, 32, dropout=0.0, batch_first=True, norm_first=True
        ).eval()
        block.copy_from_torch(layer)
        layers.append(layer)
    return lm, layers


def test_lm_maps_equal_torch_multihead_attention_per_head():
    lm, layers = _lm_and_torch_layers()
    tokens = torch.randint(0, 11, (2, 7))  # (B, T)
    maps = lm_attention(lm, tokens)["self"]
    assert maps.shape == (2, LAYERS, HEADS, 7, 7)
    forbidden = ~causal_mask(7)  # (T, T), True = may not attend (torch's convention)
    with torch.no_grad():
        x = lm.positions(lm.embedding(tokens))  # (B, T, D)
        for index, layer in enumerate(layers):
            normed = layer.norm1(x)
            _, want = layer.self_attn(
                normed, normed, normed, attn_mask=forbidden, average_attn_weights=False
            )  # (B, h, T, T)
            torch.testing.assert_close(maps[:, index], want)
            x = layer(x, src_mask=forbidden)
    assert torch.allclose(maps.sum(-1), torch.ones(2, LAYERS, HEADS, 7))
    assert (maps[..., forbidden] == 0).all() and (maps[..., ~forbidden] > 0).all()


def test_recording_leaves_the_model_as_it_was():
    lm, _ = _lm_and_torch_layers()
    tokens = torch.randint(0, 11, (1, 5))
    with torch.no_grad():
        before = lm(tokens)[0]
    with recording(lm) as calls:
        assert all(block.self_attn.impl == "explicit" for block in lm.blocks)
    assert calls == {}  # nothing ran inside
    lm_attention(lm, tokens)
    assert all(block.self_attn.impl == "fused" for block in lm.blocks)
    assert all("attend" not in vars(block.self_attn) for block in lm.blocks)
    with torch.no_grad():
        torch.testing.assert_close(lm(tokens)[0], before)


def test_seq2seq_maps_cover_source_target_and_cross():
    model = tiny_pair()
    src = torch.tensor([[4, 5, 6, 2], [7, 8, 2, 0]])  # (B, S), the second row padded
    lengths = torch.tensor([4, 3])
    tgt = torch.tensor([[1, 5, 6], [1, 7, 4]])  # (B, T)
    maps = seq2seq_attention(model, src, lengths, tgt)
    assert maps["source"].shape == (2, 2, 2, 4, 4)
    assert maps["target"].shape == (2, 2, 2, 3, 3)
    assert maps["cross"].shape == (2, 2, 2, 3, 4)
    for kind in ("source", "target", "cross"):
        assert torch.allclose(maps[kind].sum(-1), torch.ones(maps[kind].shape[:-1]))
    assert (maps["target"].triu(diagonal=1) == 0).all()
    assert (maps["cross"][1, ..., 3] == 0).all() and (maps["source"][1, ..., 3] == 0).all()

    # the stacked steps are the whole-sequence causal self-attention of the first block
    with torch.no_grad():
        block = model.decoder_blocks[0]
        x = model.positions(model.tgt_embedding(tgt) * model.scale)  # (B, T, D)
        block.self_attn.impl = "explicit"
        _, want, _ = block.self_attn.self_attend(block.norm1(x), None, causal_mask(3))
    torch.testing.assert_close(maps["target"][:, 0], want)


def test_a_recurrent_model_or_an_ensemble_has_no_maps():
    rnn = nn.LSTM(4, 4)
    assert not has_attention_maps(rnn)
    lm, _ = _lm_and_torch_layers()
    assert has_attention_maps(lm) and not has_attention_maps(nn.ModuleDict({"members": lm}))
    with pytest.raises(ValueError, match="no Transformer attention layers"):
        lm_attention(rnn, torch.zeros(1, 2, dtype=torch.long))


def test_seq2seq_maps_equal_torch_encoder_and_decoder_layers_per_head():
    """Source, target and cross maps of a model whose blocks are copies of torch's layers are
    those layers' per-head weights over whole sequences (the decoder's stepped rows included)."""
    model = tiny_pair(seed=1)
    kwargs = {"dropout": 0.0, "batch_first": True, "norm_first": True}
    encoders = [nn.TransformerEncoderLayer(16, 2, 32, **kwargs).eval() for _ in range(2)]
    decoders = [nn.TransformerDecoderLayer(16, 2, 32, **kwargs).eval() for _ in range(2)]
    for block, layer in zip([*model.encoder_blocks, *model.decoder_blocks], encoders + decoders):
        block.copy_from_torch(layer)
    src, lengths = torch.tensor([[4, 5, 6, 2], [7, 8, 2, 0]]), torch.tensor([4, 3])
    tgt = torch.tensor([[1, 5, 6, 7], [1, 7, 4, 4]])  # (B, T)
    maps = seq2seq_attention(model, src, lengths, tgt)
    padding, future = src == 0, ~causal_mask(4)  # torch's masks: True = may not attend
    per_head = {"need_weights": True, "average_attn_weights": False}
    with torch.no_grad():
        x = model.positions(model.src_embedding(src) * model.scale)  # (B, S, D)
        for index, layer in enumerate(encoders):
            n = layer.norm1(x)
            want = layer.self_attn(n, n, n, key_padding_mask=padding, **per_head)[1]
            torch.testing.assert_close(maps["source"][:, index], want)
            x = layer(x, src_key_padding_mask=padding)
        memory = model.encoder_norm(x)  # (B, S, D)
        y = model.positions(model.tgt_embedding(tgt) * model.scale)  # (B, T, D)
        for index, layer in enumerate(decoders):
            n = layer.norm1(y)
            attended, want = layer.self_attn(n, n, n, attn_mask=future, **per_head)
            torch.testing.assert_close(maps["target"][:, index], want)
            n = layer.norm2(y + attended)
            crossed = layer.multihead_attn(n, memory, memory, key_padding_mask=padding, **per_head)
            torch.testing.assert_close(maps["cross"][:, index], crossed[1])
            y = layer(y, memory, tgt_mask=future, memory_key_padding_mask=padding)
