"""The numeric walk-through: one tiny recurrent model learning to continue "hello".

The input is the text minus its last character, the target the text minus its first
("hell" -> "ello"), one-hot over the sorted distinct characters. For each t we show the terms of
the cell's equations, computed by the explicit cells of :mod:`seqlab.nn.cells` on the parameters
of a :class:`~seqlab.nn.recurrent.Recurrent` layer, then y_t = softmax(W_y·h_t + b_y) from a
``torch.nn.Linear``::

    x_t --> [ h_t = tanh(W_x·x_t + W_h·h_{t-1} + b) ] --> y_t = softmax(W_y·h_t + b_y)
                  ^                        |
                  +------- h_{t-1} <-------+

Then a few training steps with teacher forcing (the true previous character is the input),
then test mode: start from the first character and feed back the model's own prediction.

Everything is returned as plain JSON-ready data; :func:`format_text` and :func:`plot_hidden`
present it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.analysis import plots
from seqlab.analysis.plot_words import words
from seqlab.data.normalize import nfc
from seqlab.errors import SeqlabError
from seqlab.nn.cells import gru_cell_gates, lstm_cell_gates, rnn_cell_gates
from seqlab.nn.recurrent import MODES, Recurrent

# the terms printed for each cell, in the order of its equations
TERMS = {"rnn": ("wx", "wh", "b"), "lstm": ("i", "f", "g", "o", "c"), "gru": ("r", "z", "n")}
TERM_LABELS = {
    "wx": "Wx·x_t",
    "wh": "Wh·h_{t-1}",
    "b": "b",
    "i": "i (input gate)",
    "f": "f (forget gate)",
    "g": "g (candidate)",
    "o": "o (output gate)",
    "c": "c_t = f*c + i*g",
    "r": "r (reset gate)",
    "z": "z (update gate)",
    "n": "n (candidate)",
}
H_LABELS = {
    "rnn": "h_t = tanh(Wx·x_t + Wh·h_{t-1} + b)",
    "lstm": "h_t = o * tanh(c_t)",
    "gru": "h_t = (1-z)*n + z*h_{t-1}",
}


def check_options(text: str, cell: str, *, hidden_size: int, steps: int, lr: float) -> None:
    """Raise a one-line SeqlabError for options the walk-through cannot use."""
    if len(text) < 2:
        raise SeqlabError(f"--text must have at least 2 characters, got {text!r}")
    if cell not in MODES:
        raise SeqlabError(f"unknown --cell {cell!r}; expected one of {', '.join(MODES)}")
    if hidden_size < 1:
        raise SeqlabError(f"--hidden-size must be at least 1, got {hidden_size}")
    if steps < 0:
        raise SeqlabError(f"--steps must be 0 or more, got {steps}")
    if not lr > 0:
        raise SeqlabError(f"--lr must be positive, got {lr}")


def build_model(
    vocab_size: int, cell: str, hidden_size: int, seed: int
) -> tuple[Recurrent, nn.Linear]:
    """A one-layer Recurrent and its output layer W_y, in float64, seeded without touching
    the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        rnn = Recurrent(cell, vocab_size, hidden_size, impl="explicit").double()
        head = nn.Linear(hidden_size, vocab_size).double()
    return rnn, head


def one_hot(text: str, vocab: list[str]) -> Tensor:
    """(T, V) one-hot rows, float64."""
    index = torch.tensor([vocab.index(ch) for ch in text])
    return F.one_hot(index, len(vocab)).double()


def cell_step(rnn: Recurrent, x: Tensor, state: tuple[Tensor, ...]) -> dict[str, Tensor]:
    """One explicit step of layer 0: x (1, V), state (h,) or (h, c) each (1, H) -> named terms."""
    weights = rnn.weights(0)
    if rnn.mode == "lstm":
        return lstm_cell_gates(x, (state[0], state[1]), weights)
    if rnn.mode == "gru":
        return gru_cell_gates(x, state[0], weights)
    return rnn_cell_gates(x, state[0], weights, rnn.nonlinearity)


def _next_state(rnn: Recurrent, terms: dict[str, Tensor]) -> tuple[Tensor, ...]:
    return (terms["h"], terms["c"]) if rnn.mode == "lstm" else (terms["h"],)


def _zero_state(rnn: Recurrent) -> tuple[Tensor, ...]:
    h = torch.zeros(1, rnn.hidden_size, dtype=torch.float64)  # (1, H)
    return (h, torch.zeros_like(h)) if rnn.mode == "lstm" else (h,)


def _vec(t: Tensor) -> list[float]:
    return [float(v) for v in t.reshape(-1)]


def prediction(probs: Tensor, target: str, vocab: list[str]) -> dict[str, Any]:
    """probs (V,) of one step -> its probs, predicted character, target and loss -log p(target)."""
    return {
        "probs": _vec(probs),
        "predicted": vocab[int(probs.argmax())],
        "target": target,
        "loss": -math.log(float(probs[vocab.index(target)])),
    }


@torch.no_grad()
def walk(rnn: Recurrent, head: nn.Linear, text: str, vocab: list[str]) -> list[dict[str, Any]]:
    """Teacher-forced pass over text[:-1] -> text[1:], one record of every term per t."""
    inputs, targets = text[:-1], text[1:]
    x = one_hot(inputs, vocab)  # (T, V)
    state = _zero_state(rnn)
    records = []
    for t, (ch, target) in enumerate(zip(inputs, targets, strict=True)):
        terms = cell_step(rnn, x[t : t + 1], state)
        state = _next_state(rnn, terms)
        probs = torch.softmax(head(terms["h"]), dim=-1)[0]  # (V,)
        records.append(
            {
                "t": t,
                "input": ch,
                "x": _vec(x[t]),
                "terms": {name: _vec(terms[name]) for name in TERMS[rnn.mode]},
                "h": _vec(terms["h"]),
            }
            | prediction(probs, target, vocab)
        )
    return records


@torch.no_grad()
def fused_difference(
    rnn: Recurrent, head: nn.Linear, text: str, vocab: list[str], *, records: list[dict]
) -> float:
    """Largest |explicit - fused| over every h_t and y_t of a walk (torch's nn.RNN/LSTM/GRU)."""
    impl, rnn.impl = rnn.impl, "fused"
    try:
        output, _ = rnn(one_hot(text[:-1], vocab)[None])  # (1, T, H)
    finally:
        rnn.impl = impl
    probs = torch.softmax(head(output[0]), dim=-1)  # (T, V)
    h = torch.tensor([r["h"] for r in records], dtype=torch.float64)
    p = torch.tensor([r["probs"] for r in records], dtype=torch.float64)
    return max(float((h - output[0]).abs().max()), float((p - probs).abs().max()))


def train(
    rnn: Recurrent, head: nn.Linear, text: str, vocab: list[str], *, steps: int, lr: float
) -> list[dict[str, Any]]:
    """Adam with teacher forcing on the whole text; one {step, loss, predicted} per step."""
    x = one_hot(text[:-1], vocab)[None]  # (1, T, V)
    targets = torch.tensor([vocab.index(ch) for ch in text[1:]])  # (T,)
    params = list(rnn.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    impl, rnn.impl = rnn.impl, "fused"  # same parameters, faster kernels
    log = []
    try:
        for step in range(1, steps + 1):
            output, _ = rnn(x)  # (1, T, H)
            logits = head(output[0])  # (T, V)
            loss = F.cross_entropy(logits, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            predicted = "".join(vocab[i] for i in logits.argmax(-1).tolist())
            log.append({"step": step, "loss": loss.item(), "predicted": predicted})
    finally:
        rnn.impl = impl
    return log


@torch.no_grad()
def generate(rnn: Recurrent, head: nn.Linear, start: str, length: int, *, vocab: list[str]) -> dict:
    """Test mode: feed each prediction back as the next input, ``length`` times."""
    state, ch, records = _zero_state(rnn), start, []
    for t in range(length):
        terms = cell_step(rnn, one_hot(ch, vocab), state)
        state = _next_state(rnn, terms)
        probs = torch.softmax(head(terms["h"]), dim=-1)[0]  # (V,)
        predicted = vocab[int(probs.argmax())]
        records.append({"t": t, "input": ch, "probs": _vec(probs), "predicted": predicted})
        ch = predicted
    return {"text": start + "".join(r["predicted"] for r in records), "steps": records}


def explain(
    text: str = "hello",
    cell: str = "rnn",
    *,
    hidden_size: int = 4,
    seed: int = 0,
    steps: int = 100,
    lr: float = 0.05,
) -> dict[str, Any]:
    """Walk through, train, walk through again and generate; return it all as JSON-ready data.

    Keys: ``config``, ``vocab``, ``before`` and ``after`` (per-step records of :func:`walk`),
    ``training`` (per-step loss and predictions), ``generation`` and ``fused_max_abs_diff``
    (explicit cells vs torch's fused kernels, over both walks).
    """
    text = nfc(text)  # decomposed jamo -> syllables: the vocabulary is what the reader sees
    check_options(text, cell, hidden_size=hidden_size, steps=steps, lr=lr)
    vocab = sorted(set(text))
    rnn, head = build_model(len(vocab), cell, hidden_size, seed)
    before = walk(rnn, head, text, vocab)
    diff = fused_difference(rnn, head, text, vocab, records=before)
    training = train(rnn, head, text, vocab, steps=steps, lr=lr)
    after = walk(rnn, head, text, vocab)
    diff = max(diff, fused_difference(rnn, head, text, vocab, records=after))
    config = {
        "arch": "recurrent",
        "text": text,
        "cell": cell,
        "hidden_size": hidden_size,
        "seed": seed,
    }
    return {
        "config": config | {"steps": steps, "lr": lr, "optimizer": "adam"},
        "vocab": vocab,
        "before": before,
        "training": training,
        "after": after,
        "generation": generate(rnn, head, text[0], len(text) - 1, vocab=vocab),
        "fused_max_abs_diff": diff,
    }


# ------------------------------------------------------------------------------------------
# presentation


def format_vector(values: list[float]) -> str:
    """[+0.123 -0.456 ...]: a vector as the walk-throughs print it."""
    return "[" + " ".join(f"{v:+.3f}" for v in values) + "]"


def format_probs(probs: list[float], vocab: list[str]) -> str:
    """'e':0.25 'h':0.25 ...: a distribution over the vocabulary."""
    return " ".join(f"{ch!r}:{p:.2f}" for ch, p in zip(vocab, probs, strict=True))


def _format_walk(records: list[dict], cell: str, vocab: list[str]) -> list[str]:
    lines = []
    for r in records:
        lines.append(f"t={r['t']}  input {r['input']!r}  x_t = {format_vector(r['x'])}")
        for name in TERMS[cell]:
            lines.append(f"    {TERM_LABELS[name]:<20} {format_vector(r['terms'][name])}")
        lines.append(f"    {'h_t':<20} {format_vector(r['h'])}   {H_LABELS[cell]}")
        lines.append(f"    y_t = softmax(Wy·h_t + b_y): {format_probs(r['probs'], vocab)}")
        lines.append(
            f"    predicted {r['predicted']!r}  target {r['target']!r}  loss {r['loss']:.3f}"
        )
    return lines


def format_training(training: list[dict], every: int) -> list[str]:
    """One line per ``every`` training steps (and the first and last)."""
    lines = []
    for entry in training:
        if entry["step"] % every == 0 or entry["step"] in (1, len(training)):
            lines.append(
                f"step {entry['step']:>4}  loss {entry['loss']:.4f}  "
                f"predicted {entry['predicted']!r}"
            )
    return lines


def format_generation(steps: list[dict], vocab: list[str], note=None) -> list[str]:
    """One line per generated character: input -> prediction (probabilities); ``note(step)``,
    when given, adds its text before the probabilities."""
    lines = []
    for r in steps:
        extra = "" if note is None else f"  {note(r)}"
        lines.append(
            f"    input {r['input']!r} -> {r['predicted']!r}{extra}  "
            f"({format_probs(r['probs'], vocab)})"
        )
    return lines


def format_text(result: dict[str, Any]) -> str:
    """The walk-through as readable text, the way the CLI prints it."""
    config, vocab = result["config"], result["vocab"]
    text, cell = config["text"], config["cell"]
    mean_loss = sum(r["loss"] for r in result["after"]) / len(result["after"])
    lines = [
        f"cell {cell}, hidden size {config['hidden_size']}, seed {config['seed']}; "
        f"vocabulary {vocab} (one-hot); input {text[:-1]!r} -> target {text[1:]!r}",
        "",
        "== before training (explicit cells on the layer's own parameters) ==",
        *_format_walk(result["before"], cell, vocab),
        "",
        f"== training: {config['steps']} steps of {config['optimizer']} (lr {config['lr']}), "
        "teacher forcing ==",
        *format_training(result["training"], every=max(1, config["steps"] // 10)),
        "",
        "== after training ==",
        *_format_walk(result["after"], cell, vocab),
        f"mean loss {mean_loss:.4f}",
        "",
        f"== test mode: start from {text[0]!r}, feed each prediction back ==",
    ]
    lines += format_generation(result["generation"]["steps"], vocab)
    lines.append(f"generated {result['generation']['text']!r}")
    lines.append(f"explicit vs fused: max |difference| {result['fused_max_abs_diff']:.1e}")
    return "\n".join(lines)


def draw_hidden(result: dict[str, Any], lang: str = "en") -> plots.Figure:
    """Heatmaps of h_t (rows: hidden units, columns: time steps t) before and after training,
    labelled in ``lang`` ("en" or "ko")."""
    text = words(lang)
    fig, axes = plots.figure(8.5, 3.4, ncols=2)
    for ax, key in zip(axes, ("before", "after"), strict=True):
        records = result[key]
        h = torch.tensor([r["h"] for r in records]).T  # (H, T)
        image = plots.heatmap(
            ax,
            h.numpy(),
            title=text["hidden_title"].format(when=text[key]),
            xlabel=text["time_step"],
            ylabel=text["hidden_unit"],
            x_labels=[f"{t}\n{r['input']!r}" for t, r in enumerate(records)],
            cmap="RdBu_r",
            vmin=-1,
            vmax=1,
        )
    plots.colorbar(fig, image, axes, text["hidden_bar"])
    return fig


def plot_hidden(result: dict[str, Any], path: str) -> None:
    """Save a heatmap of h_t (rows: hidden units, columns: t) before and after training."""
    plots.save(draw_hidden(result), path)
