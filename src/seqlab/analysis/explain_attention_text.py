"""How the attention walk-through reads: the text ``seqlab explain --arch transformer`` prints,
and the heatmap of the attention weights a_ts that ``--plot`` saves.

Both take the JSON-ready result of :func:`seqlab.analysis.explain_attention.explain`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.analysis import plots
from seqlab.analysis.explain import (
    format_generation,
    format_probs,
    format_training,
    format_vector,
)
from seqlab.analysis.plot_words import words

EQUATIONS = (
    "x_t = E[c_t] + P[t]    q_t = W_Q x_t + b_Q    k_t = W_K x_t + b_K    v_t = W_V x_t + b_V",
    "score_ts = q_t·k_s / sqrt(d_k), -inf where s > t (causal mask)    a_ts = softmax_s(score_ts)",
    "o_t = sum_s a_ts v_s    h_t = x_t + W_O o_t + b_O (residual)    y_t = softmax(W_y h_t + b_y)",
)
VECTORS = (
    ("e", "e_t = E[c_t]"),
    ("p", "p_t = P[t]"),
    ("x", "x_t = e_t + p_t"),
    ("q", "q_t = W_Q x_t + b_Q"),
    ("k", "k_t = W_K x_t + b_K"),
    ("v", "v_t = W_V x_t + b_V"),
)


def _format_keys(r: dict, inputs: str) -> list[str]:
    """One line per key s: its score and weight, or that the causal mask hides it."""
    lines = []
    for s, (score, masked, weight) in enumerate(
        zip(r["scores"], r["masked"], r["weights"], strict=True)
    ):
        shown = "masked: -inf (s > t)" if masked else f"{score:+.3f}"
        lines.append(f"      s={s} {inputs[s]!r}  score {shown:<22} a_ts {weight:.3f}")
    return lines


def _format_walk(records: list[dict], vocab: list[str]) -> list[str]:
    inputs = "".join(r["input"] for r in records)
    lines = []
    for r in records:
        lines.append(f"t={r['t']}  input {r['input']!r}")
        lines += [f"    {label:<26} {format_vector(r[name])}" for name, label in VECTORS]
        lines.append("    keys s (score_ts = q_t·k_s / sqrt(d_k); a_ts = softmax_s):")
        lines += _format_keys(r, inputs)
        lines.append(f"    {'o_t = sum_s a_ts v_s':<26} {format_vector(r['o'])}")
        lines.append(f"    {'h_t = x_t + W_O o_t + b_O':<26} {format_vector(r['h'])}")
        lines.append(f"    y_t = softmax(W_y h_t + b_y): {format_probs(r['probs'], vocab)}")
        lines.append(
            f"    predicted {r['predicted']!r}  target {r['target']!r}  loss {r['loss']:.3f}"
        )
    return lines


def _format_parameters(parameters: dict[str, list]) -> list[str]:
    lines = []
    for name, value in parameters.items():
        rows = value if isinstance(value[0], list) else [value]
        lines.append(f"    {name:<4} {format_vector(rows[0])}")
        lines += [f"    {'':<4} {format_vector(row)}" for row in rows[1:]]
    return lines


def _format_repeats(result: dict[str, Any]) -> list[str]:
    """The teaching point: one character, two successors, and how attention tells them apart."""
    lines = []
    with_positions = result["config"]["positions"] != "none"
    for rep in result["repeats"]:
        ch, (first, second) = rep["char"], rep["positions"][:2]
        pairs = ", ".join(
            f"t={t} -> {nxt!r}" for t, nxt in zip(rep["positions"], rep["successors"], strict=True)
        )
        lines += [
            f"== the same input {ch!r}, different successors: {pairs} ==",
            "An RNN tells them apart through h_{t-1}; attention keeps no state: position t looks",
            "back at the positions s <= t, and what it finds there tells them apart.",
        ]
        if with_positions:
            lines.append(
                f"With positions, x_t = E[{ch!r}] + P[t] differs, so |q_{first} - q_{second}| = "
                f"{rep['q_distance']:.3f} and, after training, they look at different keys:"
            )
            lines += [_format_look(result["after"][t]) for t in (first, second)]
        lines += [
            f"Without positions x_{first} = x_{second} = E[{ch!r}], so q_{first} = q_{second} "
            f"exactly (|q_{first} - q_{second}| = {rep['q_distance_without_positions']:.1e}):",
            f"their outputs could differ only because t={second} spreads its weights over more "
            "keys (the same characters, one more of them).",
        ]
    return lines


def _format_look(record: dict) -> str:
    """Where one query looks: its weights and the key it weights most."""
    weights = record["weights"]
    top = max(range(len(weights)), key=weights.__getitem__)
    return (
        f"    a_{record['t']}s = {format_vector(weights)}  mostly s={top} "
        f"({weights[top]:.2f}) -> predicts {record['predicted']!r}"
    )


def _weights_note(step: dict) -> str:
    return f"a_ts {format_vector(step['weights'])}"


def format_text(result: dict[str, Any]) -> str:
    """The attention walk-through as readable text, the way the CLI prints it."""
    config, vocab = result["config"], result["vocab"]
    text = config["text"]
    mean_loss = sum(r["loss"] for r in result["after"]) / len(result["after"])
    generation = result["generation"]
    lines = [
        f"one head of causal self-attention, d_model = d_k = {config['hidden_size']}, "
        f"{config['positions']} positions, seed {config['seed']}; vocabulary {vocab} "
        f"(embedding E); input {text[:-1]!r} -> target {text[1:]!r}",
        *EQUATIONS,
        "",
        "== before training (seqlab.nn's explicit attention on the model's own parameters) ==",
        *_format_walk(result["before"], vocab),
        "",
        f"== training: {config['steps']} steps of {config['optimizer']} (lr {config['lr']}), "
        "teacher forcing ==",
        *format_training(result["training"], every=max(1, config["steps"] // 10)),
        "",
        "== learned parameters after training (torch.nn.Linear's layout: W_Q is (out, in), "
        "q_t = W_Q x_t + b_Q) ==",
        *_format_parameters(result["parameters"]),
        "",
        "== after training ==",
        *_format_walk(result["after"], vocab),
        f"mean loss {mean_loss:.4f}",
        "",
        *_format_repeats(result),
        "",
        f"== test mode: start from {text[0]!r}, feed each prediction back (greedy; a key/value "
        "cache keeps k_s and v_s, so each step projects only the new character) ==",
        *format_generation(generation["steps"], vocab, _weights_note),
        f"generated {generation['text']!r}",
        f"cached vs recomputed prefix: max |difference| {generation['cache_max_abs_diff']:.1e}",
        f"explicit vs fused (torch's scaled_dot_product_attention): max |difference| "
        f"{result['fused_max_abs_diff']:.1e}",
    ]
    return "\n".join(lines)


def draw_attention(result: dict[str, Any], lang: str = "en") -> plots.Figure:
    """Heatmaps of a_ts (rows: query position t, columns: key position s) before and after
    training, labelled in ``lang`` ("en" or "ko"); masked cells (s > t) are 0 and marked '-'."""
    text = words(lang)
    fig, axes = plots.figure(8.5, 3.6, ncols=2)
    for ax, key in zip(axes, ("before", "after"), strict=True):
        records = result[key]
        weights = np.array([r["weights"] for r in records])  # (T, T)
        labels = [f"{t} {r['input']!r}" for t, r in enumerate(records)]
        image = plots.heatmap(
            ax,
            weights,
            title=text["self_attention_title"].format(when=text[key]),
            xlabel=text["key_position"],
            ylabel=text["query_position"],
            x_labels=labels,
            y_labels=labels,
            vmin=0.0,
            vmax=1.0,
        )
        masked = [r["masked"] for r in records]
        texts = [
            ["-" if m else f"{w:.2f}" for w, m in zip(row, mrow, strict=True)]
            for row, mrow in zip(weights.tolist(), masked, strict=True)
        ]
        plots.label_cells(ax, texts, (weights < 0.5).tolist())
    plots.colorbar(fig, image, axes, text["self_attention_bar"])
    return fig
