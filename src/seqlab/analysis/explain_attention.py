"""The numeric walk-through, attention edition: one head of causal self-attention learning "hello".

The same task as :mod:`seqlab.analysis.explain` (input "hell", target "ello", teacher forcing),
with the recurrence replaced by one head of scaled dot-product attention. For each position t::

    x_t = E[c_t] + P[t]                       embedding of the character plus its position (D,)
    q_t = W_Q x_t + b_Q,  k_t = W_K x_t + b_K,  v_t = W_V x_t + b_V           each (D,), d_k = D
    score_ts = q_t · k_s / sqrt(d_k)          for every s; masked (-inf) where s > t (causal)
    a_ts = softmax_s(score_ts)                weights over s <= t, summing to 1
    o_t = sum_s a_ts v_s                      what position t reads from the past (D,)
    h_t = x_t + W_O o_t + b_O                 the residual: x_t plus the attention's output (D,)
    y_t = softmax(W_y h_t + b_y)              the next-character distribution (V,)

The numbers come from seqlab's own modules (:class:`~seqlab.nn.multi_head.MultiHeadAttention`
with one head and ``impl="explicit"``, whose attention is
:func:`~seqlab.nn.scaled_dot_product.scaled_dot_product_weights`), run step by step on their own
parameters; :func:`fused_difference` checks them against torch's fused kernel.

Where an RNN tells the two 'l's of "hello" apart through h_{t-1}, attention has no state: it tells
them apart by what it looks back at, and by the position added to x_t. Without P[t] the two 'l'
inputs, hence their queries, would be identical (:func:`repeats` shows it).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.analysis.explain import prediction
from seqlab.data.normalize import nfc
from seqlab.errors import SeqlabError
from seqlab.nn.kv_cache import KVCache
from seqlab.nn.masks import causal_mask
from seqlab.nn.multi_head import MultiHeadAttention, merge_heads, split_heads
from seqlab.nn.positions import POSITION_KINDS, build_positions
from seqlab.nn.scaled_dot_product import scaled_dot_product_weights

POSITIONS = (*POSITION_KINDS, "none")


class OneHeadLM(nn.Module):
    """Embedding + positions -> one head of causal self-attention + residual -> W_y.

    Args:
        vocab_size: V.
        embed_dim: D, the width of x_t, q_t, k_t, v_t and h_t (one head: d_k = D).
        max_len: the most positions.
        positions: "sinusoidal", "learned" or "none" (no position vector at all).
    """

    def __init__(self, vocab_size: int, embed_dim: int, max_len: int, positions: str):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.positions = (
            None if positions == "none" else build_positions(positions, max_len, embed_dim)
        )
        self.attention = MultiHeadAttention(embed_dim, 1, impl="explicit")
        self.head = nn.Linear(embed_dim, vocab_size)

    def inputs(self, tokens: Tensor, offset: int = 0) -> Tensor:
        """tokens (B, T) -> x (B, T, D) = E[c_t] + P[offset + t]."""
        x = self.embedding(tokens)  # (B, T, D)
        return x if self.positions is None else self.positions(x, offset)

    def forward(self, tokens: Tensor) -> tuple[Tensor, Tensor | None]:
        """tokens (B, T) -> logits (B, T, V) and the weights (B, 1, T, T) (None when fused)."""
        x = self.inputs(tokens)  # (B, T, D)
        mask = causal_mask(tokens.shape[1], device=tokens.device)  # (T, T)
        attended, weights = self.attention(x, mask=mask)  # (B, T, D), (B, 1, T, T)
        return self.head(x + attended), weights  # (B, T, V)


def check_options(text: str, positions: str, *, embed_dim: int, steps: int, lr: float) -> None:
    """Raise a one-line SeqlabError for options the walk-through cannot use."""
    if len(text) < 2:
        raise SeqlabError(f"--text must have at least 2 characters, got {text!r}")
    if positions not in POSITIONS:
        raise SeqlabError(
            f"unknown --positions {positions!r}; expected one of {', '.join(POSITIONS)}"
        )
    if embed_dim < 1 or (positions == "sinusoidal" and embed_dim % 2):
        raise SeqlabError(
            f"--hidden-size (d_model) must be a positive even number for sinusoidal positions, "
            f"got {embed_dim}"
        )
    if steps < 0:
        raise SeqlabError(f"--steps must be 0 or more, got {steps}")
    if not lr > 0:
        raise SeqlabError(f"--lr must be positive, got {lr}")


def build_model(vocab_size: int, embed_dim: int, max_len: int, *, positions: str, seed: int):
    """A float64 :class:`OneHeadLM`, seeded without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return OneHeadLM(vocab_size, embed_dim, max_len, positions).double()


def encode(text: str, vocab: list[str]) -> Tensor:
    """(1, T) character indices."""
    return torch.tensor([[vocab.index(ch) for ch in text]])


def _vec(t: Tensor) -> list[float]:
    return [float(v) for v in t.reshape(-1)]


@torch.no_grad()
def terms(model: OneHeadLM, tokens: Tensor) -> dict[str, Tensor]:
    """Every quantity of the equations for tokens (1, T), each (T, ...) with the batch dropped.

    e, p, x, q, k, v, o, h: (T, D); scores, weights: (T, S = T), mask (T, T) bool (True = may
    attend); probs (T, V). The attention is the explicit module's, step by step."""
    steps = tokens.shape[1]
    attention = model.attention
    e = model.embedding(tokens)  # (1, T, D)
    x = model.inputs(tokens)  # (1, T, D)
    kv = attention.keys(x)  # keys, values (1, 1, T, d_k)
    q = split_heads(attention.q_proj(x), 1)  # (1, 1, T, d_k)
    mask = causal_mask(steps)  # (T, T)
    heads, weights = scaled_dot_product_weights(q, kv.keys, kv.values, mask)  # (1, 1, T, d_k)
    o = merge_heads(heads)  # (1, T, D): sum_s a_ts v_s
    h = x + attention.out_proj(o)  # (1, T, D)
    scores = q @ kv.keys.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (1, 1, T, T)
    return {
        "e": e[0],
        "p": (x - e)[0],
        "x": x[0],
        "q": q[0, 0],
        "k": kv.keys[0, 0],
        "v": kv.values[0, 0],
        "scores": scores[0, 0],
        "mask": mask,
        "weights": weights[0, 0],
        "o": o[0],
        "h": h[0],
        "probs": torch.softmax(model.head(h[0]), dim=-1),  # (T, V)
    }


def walk(model: OneHeadLM, text: str, vocab: list[str]) -> list[dict[str, Any]]:
    """Teacher-forced pass over text[:-1] -> text[1:], one record of every term per t."""
    inputs, targets = text[:-1], text[1:]
    found = terms(model, encode(inputs, vocab))
    records = []
    for t, (ch, target) in enumerate(zip(inputs, targets, strict=True)):
        probs = found["probs"][t]  # (V,)
        record = {"t": t, "input": ch} | {
            name: _vec(found[name][t]) for name in ("e", "p", "x", "q", "k", "v")
        }
        records.append(
            record
            | {
                "scores": _vec(found["scores"][t]),
                "masked": [not allowed for allowed in found["mask"][t].tolist()],
                "weights": _vec(found["weights"][t]),
                "o": _vec(found["o"][t]),
                "h": _vec(found["h"][t]),
            }
            | prediction(probs, target, vocab)
        )
    return records


@torch.no_grad()
def fused_difference(
    model: OneHeadLM, text: str, vocab: list[str], *, records: list[dict]
) -> float:
    """Largest |walk - fused| over every o_t and y_t: torch's scaled_dot_product_attention on the
    same q, k, v, and the module's own forward with ``impl="fused"``."""
    x = model.inputs(encode(text[:-1], vocab))  # (1, T, D)
    attention = model.attention
    q, k, v = (split_heads(proj(x), 1) for proj in attention_projections(attention))
    o = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (1, 1, T, d_k)
    impl, attention.impl = attention.impl, "fused"
    try:
        logits, _ = model(encode(text[:-1], vocab))  # (1, T, V)
    finally:
        attention.impl = impl
    walked_o = torch.tensor([r["o"] for r in records], dtype=torch.float64)
    walked_p = torch.tensor([r["probs"] for r in records], dtype=torch.float64)
    o_diff = float((walked_o - o[0, 0]).abs().max())
    return max(o_diff, float((walked_p - torch.softmax(logits[0], -1)).abs().max()))


def attention_projections(attention: MultiHeadAttention) -> tuple[nn.Linear, ...]:
    """W_Q, W_K, W_V (with their biases) of one attention layer."""
    return attention.q_proj, attention.k_proj, attention.v_proj


def train(model: OneHeadLM, text: str, vocab: list[str], *, steps: int, lr: float) -> list[dict]:
    """Adam with teacher forcing on the whole text; one {step, loss, predicted} per step."""
    tokens = encode(text[:-1], vocab)  # (1, T)
    targets = encode(text[1:], vocab)[0]  # (T,)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    log = []
    for step in range(1, steps + 1):
        logits, _ = model(tokens)  # (1, T, V)
        loss = F.cross_entropy(logits[0], targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        predicted = "".join(vocab[i] for i in logits[0].argmax(-1).tolist())
        log.append({"step": step, "loss": loss.item(), "predicted": predicted})
    return log


@torch.no_grad()
def generate(model: OneHeadLM, start: str, length: int, *, vocab: list[str]) -> dict[str, Any]:
    """Greedy, with a key/value cache: each step embeds only the newest character (at its
    position t), appends its k and v to the cache, and its query attends over all t + 1 keys.

    ``cache_max_abs_diff``: the cached steps against recomputing the whole prefix each step."""
    cache: KVCache | None = None
    ch, text, records, diff = start, start, [], 0.0
    for t in range(length):
        x = model.inputs(encode(ch, vocab), offset=t)  # (1, 1, D)
        attended, weights, cache = model.attention.self_attend(x, cache)  # (1, 1, D)
        probs = torch.softmax(model.head(x + attended)[0, 0], dim=-1)  # (V,)
        full, _ = model(encode(text, vocab))  # (1, t + 1, V): the recomputed prefix
        diff = max(diff, float((torch.softmax(full[0, -1], -1) - probs).abs().max()))
        ch = vocab[int(probs.argmax())]
        records.append(
            {"t": t, "input": text[-1], "weights": _vec(weights), "probs": _vec(probs)}
            | {"predicted": ch}
        )
        text += ch
    return {"text": text, "steps": records, "cache_max_abs_diff": diff}


@torch.no_grad()
def repeats(model: OneHeadLM, text: str, vocab: list[str]) -> list[dict[str, Any]]:
    """Input characters that occur more than once with different successors ('l' in "hello").

    For each: its positions, the successors, |q_s - q_t| between the first two occurrences with
    the positions added, and the same without them (x_t = E[c_t] alone): exactly 0."""
    inputs, targets = text[:-1], text[1:]
    x = model.embedding(encode(inputs, vocab))  # (1, T, D)
    bare_q = model.attention.q_proj(x)[0]  # (T, D): queries without positions
    q = model.attention.q_proj(model.inputs(encode(inputs, vocab)))[0]  # (T, D)
    found = []
    for ch in sorted(set(inputs)):
        at = [t for t, c in enumerate(inputs) if c == ch]
        if len({targets[t] for t in at}) < 2:
            continue
        first, second = at[0], at[1]
        found.append(
            {
                "char": ch,
                "positions": at,
                "successors": [targets[t] for t in at],
                "q_distance": float((q[first] - q[second]).norm()),
                "q_distance_without_positions": float((bare_q[first] - bare_q[second]).norm()),
            }
        )
    return found


@torch.no_grad()
def parameters(model: OneHeadLM) -> dict[str, list]:
    """The learned weights as nested lists: E (V, D); W_Q, W_K, W_V, W_O (D, D) with biases
    (D,), in torch's layout (q_t = W_Q x_t + b_Q); W_y (V, D), b_y (V,); P (T, D) if learned."""
    attention = model.attention
    named = {"E": model.embedding.weight}
    for name, proj in zip("QKVO", (*attention_projections(attention), attention.out_proj)):
        named |= {f"W_{name}": proj.weight, f"b_{name}": proj.bias}
    named |= {"W_y": model.head.weight, "b_y": model.head.bias}
    if model.positions is not None and model.positions.table().requires_grad:
        named["P"] = model.positions.table()
    return {name: value.tolist() for name, value in named.items()}


def explain(
    text: str = "hello",
    *,
    hidden_size: int = 4,
    positions: str = "sinusoidal",
    seed: int = 0,
    steps: int = 100,
    lr: float = 0.05,
) -> dict[str, Any]:
    """Walk through, train, walk through again and generate; return it all as JSON-ready data.

    ``hidden_size`` is d_model (= d_k, one head). Keys as in :func:`seqlab.analysis.explain.explain`
    (``config``, ``vocab``, ``before``, ``training``, ``after``, ``generation``,
    ``fused_max_abs_diff``), plus ``parameters`` (:func:`parameters`, after training) and
    ``repeats`` (:func:`repeats`, after training).
    """
    text = nfc(text)
    check_options(text, positions, embed_dim=hidden_size, steps=steps, lr=lr)
    vocab = sorted(set(text))
    model = build_model(len(vocab), hidden_size, len(text), positions=positions, seed=seed)
    before = walk(model, text, vocab)
    diff = fused_difference(model, text, vocab, records=before)
    training = train(model, text, vocab, steps=steps, lr=lr)
    after = walk(model, text, vocab)
    diff = max(diff, fused_difference(model, text, vocab, records=after))
    config = {"arch": "transformer", "text": text, "hidden_size": hidden_size, "heads": 1}
    return {
        "config": config
        | {"positions": positions, "seed": seed, "steps": steps, "lr": lr}
        | {"optimizer": "adam"},
        "vocab": vocab,
        "before": before,
        "training": training,
        "after": after,
        "parameters": parameters(model),
        "generation": generate(model, text[0], len(text) - 1, vocab=vocab),
        "repeats": repeats(model, text, vocab),
        "fused_max_abs_diff": diff,
    }
