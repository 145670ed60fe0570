"""Transformer counts: the analytic Keras and PyTorch formulas against torch's ``numel``."""

from __future__ import annotations

import pytest
from torch import nn

from seqlab.analysis.params import param_table_from_module
from seqlab.analysis.params_transformer import attention_counts, block_counts
from seqlab.nn.multi_head import MultiHeadAttention
from seqlab.nn.transformer_block import BlockShape, DecoderBlock, TransformerBlock


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(("d_model", "heads"), [(8, 2), (12, 3), (16, 1)])
@pytest.mark.parametrize("bias", [True, False])
def test_attention_count_equals_numel_of_torch_and_seqlab_layers(d_model, heads, bias):
    keras, pytorch = attention_counts(d_model, heads, bias=bias)
    assert pytorch.count == numel(nn.MultiheadAttention(d_model, heads, bias=bias))
    assert pytorch.count == numel(MultiHeadAttention(d_model, heads, bias=bias))
    # key_dim = D / h: Keras's per-head kernels hold the same numbers as torch's stacked matrix
    assert keras.count == pytorch.count
    assert keras.formula != pytorch.formula


def test_attention_formulas_read_as_their_conventions():
    keras, pytorch = attention_counts(8, 2)
    assert keras.formula == "3*(8*2*4+2*4) + 2*4*8+8"
    assert pytorch.formula == "3*8*8+3*8 + 8*8+8"
    assert pytorch.count == 4 * 8 * 8 + 4 * 8 == 288


@pytest.mark.parametrize(("kind", "cross"), [(TransformerBlock, False), (DecoderBlock, True)])
def test_block_count_equals_numel_of_seqlab_block(kind, cross):
    keras, pytorch = block_counts(8, 2, 20, cross=cross)
    assert pytorch.count == keras.count == numel(kind(BlockShape(8, 2, 20)))


@pytest.mark.parametrize(
    ("layer", "cross"), [(nn.TransformerEncoderLayer, False), (nn.TransformerDecoderLayer, True)]
)
def test_block_count_equals_numel_of_torch_layer(layer, cross):
    _, pytorch = block_counts(8, 2, 20, cross=cross)
    assert pytorch.count == numel(layer(8, 2, 20, batch_first=True))


@pytest.mark.parametrize(
    "module", [TransformerBlock(BlockShape(8, 2, 20)), nn.TransformerEncoderLayer(8, 2, 20)]
)
def test_a_built_block_gets_formula_rows_in_both_conventions(module):
    table = param_table_from_module(module)
    assert table.pytorch_total == numel(module)
    assert table.keras_total == table.pytorch_total  # every row has a Keras formula
    attention = [row for row in table.rows if "self_attn" in row.layer]
    assert len(attention) == 1 and attention[0].keras_formula.startswith("3*(8*2*4")


def test_width_must_split_into_heads():
    with pytest.raises(ValueError, match="not divisible"):
        attention_counts(10, 3)
