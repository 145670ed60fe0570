"""The adding problem: a long-lag benchmark that plain RNNs fail and gated cells solve.

Each input step is a pair (value, marker). Values are U(0, 1); exactly two markers are 1, one
in the first half of the sequence and one in the second. The target is the sum of the two
marked values, read from the last hidden state (Hochreiter & Schmidhuber 1997; Le et al. 2015)::

    t        0     1     2     3   ...   T/2   ...   T-1
    value  0.31  0.87  0.12  0.55  ...  0.64   ...  0.09
    marker   0     1     0     0   ...    1    ...    0        target = 0.87 + 0.64 = 1.51

The information must survive at least T/2 steps. Predicting 1.0 (the mean of the target)
without looking at the input gives MSE = Var(U + U) = 1/6 ~ 0.167: the trivial baseline. A
model that cannot carry the marked values over the lag stays at that baseline.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.analysis.plots import Curve, draw_panels, save
from seqlab.errors import SeqlabError
from seqlab.nn.recurrent import MODES, Recurrent

if TYPE_CHECKING:
    from seqlab.analysis.plots import Figure

CELLS = tuple(MODES)  # ("rnn", "lstm", "gru")
BASELINE_PREDICTION = 1.0  # E[U + U] for two independent U(0, 1)


def parse_cells(text: str, choices: tuple[str, ...] = CELLS) -> list[str]:
    """ "rnn,lstm" -> ["rnn", "lstm"]; a name not in ``choices`` is a one-line error listing
    them."""
    cells = [c.strip().lower() for c in text.split(",") if c.strip()]
    unknown = [c for c in cells if c not in choices]
    if unknown or not cells:
        raise SeqlabError(
            f"unknown cell {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"expected a comma-separated list of {', '.join(choices)}"
        )
    return list(dict.fromkeys(cells))  # keep order, drop repeats


def parse_ints(text: str, what: str, minimum: int) -> list[int]:
    """ "10,50,100" -> [10, 50, 100], each at least ``minimum``; else a one-line error."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SeqlabError(f"{what}: expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < minimum:
        raise SeqlabError(f"{what}: every value must be an integer >= {minimum}, got {text!r}")
    return values


def adding_batch(
    batch_size: int, length: int, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """A batch of adding-problem sequences.

    Returns:
        x (B, T, 2): channel 0 the values in U(0, 1), channel 1 the markers (two ones per row).
        y (B,): the sum of the two marked values.
    """
    if length < 2:
        raise SeqlabError(f"adding problem: length must be >= 2 (two markers), got {length}")
    half = length // 2
    values = torch.rand(batch_size, length, generator=generator)  # (B, T)
    first = torch.randint(0, half, (batch_size,), generator=generator)  # (B,) in [0, T/2)
    second = torch.randint(half, length, (batch_size,), generator=generator)  # in [T/2, T)
    markers = torch.zeros(batch_size, length)  # (B, T)
    rows = torch.arange(batch_size)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]  # (B,)
    return torch.stack([values, markers], dim=-1), y  # (B, T, 2), (B,)


def baseline_mse(y: Tensor) -> float:
    """MSE of always predicting 1.0 (the target's mean): ~1/6 on a large sample."""
    return float(((y - BASELINE_PREDICTION) ** 2).mean())


def set_forget_bias(rnn: Recurrent, value: float) -> None:
    """Start every LSTM forget gate at sigmoid(value) (Gers et al. 2000; Jozefowicz 2015).

    torch stacks the gates (i, f, g, o) and adds two biases; b_ih's f-slice gets ``value``
    and b_hh's is zeroed, so the forget gate starts near sigmoid(value) (0.95 for 3.0)
    instead of 0.5, and the cell keeps its contents over more steps from the first update.
    Chrono initialisation (Tallec & Ollivier 2018) argues for b_f ~ log(lag): ~3 to 5 here.
    """
    h = rnn.hidden_size
    with torch.no_grad():
        for layer in range(rnn.num_layers):
            for direction in range(rnn.num_directions):
                _, _, b_ih, b_hh = rnn.weights(layer, direction)
                b_ih[h : 2 * h].fill_(value)
                b_hh[h : 2 * h].zero_()


class AddingModel(nn.Module):
    """Recurrent layer over (value, marker) pairs, a linear readout of the last h_t.

    x (B, T, 2) -> Recurrent -> out[:, -1] (B, H) -> Linear -> prediction (B,)
    """

    def __init__(self, cell: str, hidden_size: int, forget_bias: float = 0.0, impl: str = "fused"):
        super().__init__()
        self.rnn = Recurrent(cell, input_size=2, hidden_size=hidden_size, impl=impl)
        self.readout = nn.Linear(hidden_size, 1)
        if cell == "lstm" and forget_bias:
            set_forget_bias(self.rnn, forget_bias)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, T, H)
        return self.readout(out[:, -1]).squeeze(-1)  # (B,)


@dataclass(frozen=True)
class AddingConfig:
    """One training run of the adding problem.

    cell: rnn | lstm | gru. length: sequence length T. hidden_size: features of h.
    steps: Adam updates, each on a fresh random batch. batch_size: sequences per update.
    lr: Adam learning rate. clip: max global gradient norm (0 = no clipping).
    forget_bias: initial LSTM forget-gate bias (torch's default is 0; ignored by rnn and gru).
        At T=100 (hidden 64, batch 32, one seed each) the LSTM was still at the baseline
        after 1000 steps with 0 or 1 (lr 1e-2 and 3e-3); with 3 it left it by step 1250.
    seed: seeds the weights, the training batches and (with ``test_seed``) nothing else.
    test_size: sequences in the fixed test set. test_seed: seed of the test set.
    """

    cell: str = "lstm"
    length: int = 100
    hidden_size: int = 64
    steps: int = 1000
    batch_size: int = 64
    lr: float = 3e-3
    clip: float = 1.0
    forget_bias: float = 3.0
    seed: int = 0
    test_size: int = 1000
    test_seed: int = 12345

    def __post_init__(self):
        parse_cells(self.cell)
        for name in ("length", "hidden_size", "steps", "batch_size", "test_size"):
            if getattr(self, name) < (2 if name == "length" else 1):
                raise SeqlabError(f"adding: {name} must be positive, got {getattr(self, name)}")
        if not self.lr > 0 or self.clip < 0:
            raise SeqlabError(f"adding: need lr > 0 and clip >= 0, got {self.lr}, {self.clip}")


def make_test_set(config: AddingConfig) -> tuple[Tensor, Tensor]:
    """The fixed test set of a config: (x (N, T, 2), y (N,)), the same for every cell."""
    generator = torch.Generator().manual_seed(config.test_seed + config.length)
    return adding_batch(config.test_size, config.length, generator)


@torch.no_grad()
def evaluate(model: AddingModel, x: Tensor, y: Tensor, chunk: int = 500) -> float:
    """Test MSE, in chunks so a large test set stays small in memory."""
    model.eval()
    total = 0.0
    for start in range(0, x.shape[0], chunk):
        pred = model(x[start : start + chunk])  # (b,)
        total += float(((pred - y[start : start + chunk]) ** 2).sum())
    model.train()
    return total / x.shape[0]


def train_adding(config: AddingConfig, eval_every: int = 0) -> dict[str, Any]:
    """Train one model on fresh batches; report test MSE next to the trivial baseline.

    Returns a dict with the config, ``test_mse``, ``baseline_mse``, ``seconds`` and
    ``curve`` (a list of (step, test_mse) every ``eval_every`` steps, if > 0).
    """
    torch.manual_seed(config.seed)
    model = AddingModel(config.cell, config.hidden_size, config.forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    test_x, test_y = make_test_set(config)
    curve = []
    start = time.perf_counter()
    for step in range(1, config.steps + 1):
        x, y = adding_batch(config.batch_size, config.length, generator)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        if eval_every and step % eval_every == 0:
            curve.append((step, evaluate(model, test_x, test_y)))
    return {
        **asdict(config),
        "test_mse": evaluate(model, test_x, test_y),
        "baseline_mse": baseline_mse(test_y),
        "seconds": time.perf_counter() - start,
        "curve": curve,
    }


def run_grid(
    cells: list[str], lengths: list[int], seeds: list[int], log=None, **options: Any
) -> list[dict[str, Any]]:
    """``train_adding`` for every (length, cell, seed); ``options`` fill the AddingConfig.

    ``log``, if given, is called with each finished result (progress for long grids).
    """
    results = []
    for length in lengths:
        for cell in cells:
            for seed in seeds:
                config = AddingConfig(cell=cell, length=length, seed=seed, **options)
                result = train_adding(config)
                results.append(result)
                if log is not None:
                    log(result)
    return results


def summarize(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (length, cell): mean and worst test MSE over seeds, and the baseline."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((r["length"], r["cell"]), []).append(r)
    rows = []
    for (length, cell), group in groups.items():
        mses = [r["test_mse"] for r in group]
        rows.append(
            {
                "length": length,
                "cell": cell,
                "seeds": len(group),
                "mean_mse": sum(mses) / len(mses),
                "max_mse": max(mses),
                "baseline_mse": group[0]["baseline_mse"],
                "solved": max(mses) < 0.01,
                "seconds": sum(r["seconds"] for r in group),
            }
        )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: test MSE per (T, cell) against the predict-1.0 baseline."""
    lines = [
        "| T | cell | seeds | test MSE (mean) | test MSE (worst) | baseline MSE | solved (< 0.01) "
        "| train s |",
        "|---:|:---|---:|---:|---:|---:|:---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['length']} | {r['cell']} | {r['seeds']} | {r['mean_mse']:.4f} "
            f"| {r['max_mse']:.4f} | {r['baseline_mse']:.4f} | {'yes' if r['solved'] else 'no'} "
            f"| {r['seconds']:.0f} |"
        )
    return "\n".join(lines)


def draw_adding(rows: list[dict[str, Any]]) -> Figure:
    """Test MSE against T, one line per cell, the baseline as a dashed line (log y); x ticks at
    the lengths run."""
    curves = []
    for cell in dict.fromkeys(r["cell"] for r in rows):
        mine = sorted((r["length"], r["mean_mse"]) for r in rows if r["cell"] == cell)
        curves.append(Curve(cell, [t for t, _ in mine], [m for _, m in mine], marker="o"))
    base = sorted({(r["length"], r["baseline_mse"]) for r in rows})
    curves.append(
        Curve("baseline (predict 1.0)", [t for t, _ in base], [b for _, b in base], style="--")
    )
    return draw_panels(
        {"adding problem: test MSE after a fixed step budget": curves},
        xlabel="sequence length T",
        ylabel="test MSE (log scale)",
        log_y=True,
        x_ticks=sorted({r["length"] for r in rows}),
    )


def plot_adding(rows: list[dict[str, Any]], path: str) -> None:
    """:func:`draw_adding` saved to ``path``."""
    save(draw_adding(rows), path)
