"""Parameter counts of Transformer layers, in the Keras and the PyTorch conventions.

Multi-head attention of width D with h heads of d_k = D / h (Keras ``MultiHeadAttention(
num_heads=h, key_dim=d_k)`` on inputs of width D; PyTorch ``nn.MultiheadAttention(D, h)``)::

    Keras      3*(D*h*d_k + h*d_k) + h*d_k*D + D   query, key, value kernels (D, h, d_k) and
                                                   biases (h, d_k); output kernel (h, d_k, D)
                                                   and bias (D)
    PyTorch    3*D*D + 3*D + D*D + D               in_proj_weight (3D, D), in_proj_bias (3D),
                                                   out_proj (D, D) and its bias

With h*d_k = D both are 4 D^2 + 4 D: the conventions differ in how they write the layer (Keras
keeps a kernel per head, torch one stacked matrix), not in what they count. Keras lets key_dim
differ from D/h, torch does not, so a Keras layer with another key_dim has no torch twin. Without
biases (``use_bias=False``, ``bias=False``) both drop their bias terms.

The rest of a pre-LN block (:mod:`seqlab.nn.transformer_block`) is the same in both::

    LayerNorm(D)        2*D            gamma and beta (Keras ``LayerNormalization``)
    feed-forward D->F   D*F+F + F*D+D  two dense layers
    TransformerBlock    MHA + 2 LayerNorm + feed-forward
    DecoderBlock        2 MHA + 3 LayerNorm + feed-forward (self- and cross-attention)

The sequence length never enters: the same weights serve every position.
"""

from __future__ import annotations

from torch import nn

from seqlab.analysis.param_count import Count
from seqlab.nn.multi_head import MultiHeadAttention


def attention_counts(d_model: int, num_heads: int, *, bias: bool = True) -> tuple[Count, Count]:
    """(Keras, PyTorch) counts of multi-head attention of width ``d_model`` and ``num_heads``."""
    if d_model % num_heads:
        raise ValueError(f"d_model {d_model} is not divisible by num_heads {num_heads}")
    d, h, k = d_model, num_heads, d_model // num_heads
    if bias:
        keras = Count(
            f"3*({d}*{h}*{k}+{h}*{k}) + {h}*{k}*{d}+{d}", 3 * (d * h * k + h * k) + h * k * d + d
        )
        return keras, Count(f"3*{d}*{d}+3*{d} + {d}*{d}+{d}", 4 * d * d + 4 * d)
    keras = Count(f"3*{d}*{h}*{k} + {h}*{k}*{d}", 4 * d * h * k)
    return keras, Count(f"3*{d}*{d} + {d}*{d}", 4 * d * d)


def layer_norm_count(d_model: int) -> Count:
    """gamma and beta, the same in both conventions."""
    return Count(f"2*{d_model}", 2 * d_model)


def block_counts(
    d_model: int, num_heads: int, dim_feedforward: int, *, cross: bool = False
) -> tuple[Count, Count]:
    """(Keras, PyTorch) counts of a pre-LN block; ``cross``: a decoder block with
    cross-attention (two attentions, three layer norms)."""
    d, f = d_model, dim_feedforward
    attentions, norms = (2, 3) if cross else (1, 2)
    feed_forward = Count(f"{d}*{f}+{f} + {f}*{d}+{d}", 2 * d * f + f + d)
    counts = []
    for attention in attention_counts(d, num_heads):
        parts = [attention] * attentions + [layer_norm_count(d)] * norms + [feed_forward]
        counts.append(Count(" + ".join(p.formula for p in parts), sum(p.count for p in parts)))
    return counts[0], counts[1]


def transformer_module_counts(module: nn.Module) -> tuple[int, Count, Count] | None:
    """(output size, Keras, PyTorch) of a LayerNorm or a multi-head attention module, torch's
    or seqlab's; None for any other module."""
    if isinstance(module, nn.LayerNorm) and module.elementwise_affine and module.bias is not None:
        (width,) = module.normalized_shape
        same = layer_norm_count(width)
        return width, same, same
    if isinstance(module, nn.MultiheadAttention) and module._qkv_same_embed_dim:
        bias = module.in_proj_bias is not None
        return module.embed_dim, *attention_counts(module.embed_dim, module.num_heads, bias=bias)
    if isinstance(module, MultiHeadAttention):
        bias = module.q_proj.bias is not None
        return module.embed_dim, *attention_counts(module.embed_dim, module.num_heads, bias=bias)
    return None
