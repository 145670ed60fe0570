"""LM loss by position inside the training window, LSTM against Transformer, on tiny-shakespeare.

Each run (a trained ``task: lm`` run directory) is scored on the held-out text in consecutive
windows of its own training length T (``data.bptt``), every window from a fresh state, and the
nll at each position t is averaged over the windows (:mod:`seqlab.analysis.position_loss`).
A model that uses its context gets better the further into the window it is (Kaplan et al.
2020, figure 7). Writes section ``long-context`` and docs/figures/long_context.png.

    python -m bench.long_context runs/bench/shakespeare runs/bench/shakespeare-transformer \
        --text ../shared/data/tinyshakespeare/input.txt --held-out 0.1

(the runs of ``python -m bench.lm_quality shakespeare [--arch transformer]``, which hold out
the last 10% of tiny-shakespeare as their validation text).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from bench._report import SummaryRow, header, write_section
from seqlab.analysis.plots import Curve, draw_panels, save
from seqlab.analysis.position_loss import nll_by_position
from seqlab.data.io import read_text, shown_path
from seqlab.data.lm_stream import split_text
from seqlab.tasks import load_run

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "long_context.png"


def family(config) -> str:
    """What the run's model is: ``transformer``, or its recurrent cell (``lstm``, ...)."""
    arch = getattr(config.model, "arch", None)
    if arch is not None and arch != "recurrent":
        return str(arch)
    return str(config.model.cell)


def score_run(run: str, text: str, args) -> dict:
    """One run's nll by position on the held-out tail of ``text`` (its own tokenizer, its T)."""
    task, model = load_run(run)
    if task.name != "lm":
        raise SystemExit(f"{run}: a {task.name!r} run; long_context compares lm runs only")
    by_lines = task.config.data.tokenizer != "char"
    held_out = split_text(text, args.held_out, by_lines)[1] if args.held_out > 0 else text
    length = task.config.data.bptt
    start = time.perf_counter()
    nll, windows = nll_by_position(
        model, task.encode(held_out), length, max_windows=args.max_windows
    )
    params = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
    return {
        "name": f"{Path(run).name} ({family(task.config)})",
        "run": shown_path(run),
        "length": length,
        "windows": windows,
        "params": params,
        "nll": nll.tolist(),
        "seconds": time.perf_counter() - start,
    }


def positions_shown(length: int) -> list[int]:
    """The positions the table shows: 1, 2, 4, ... up to T, and T itself (1-based)."""
    shown, p = [], 1
    while p < length:
        shown.append(p)
        p *= 2
    return [*shown, length]


def format_table(results: list[dict]) -> str:
    """nll (nats/token) at positions 1, 2, 4, ..., T of each run, and the window mean."""
    longest = max(r["length"] for r in results)
    shown = positions_shown(longest)
    head = " | ".join(f"t={p}" for p in shown)
    lines = [
        f"| run | parameters | T | windows | {head} | mean |",
        "|:---|" + "---:|" * (len(shown) + 4),
    ]
    for r in results:
        nll = r["nll"]
        cells = " | ".join(f"{nll[p - 1]:.3f}" if p <= r["length"] else "—" for p in shown)
        mean = sum(nll) / len(nll)
        lines.append(
            f"| {r['name']} | {r['params']:,} | {r['length']} | {r['windows']:,} | {cells} | "
            f"{mean:.3f} |"
        )
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> Path:
    curves = [Curve(r["name"], list(range(1, r["length"] + 1)), r["nll"]) for r in results]
    panel = {"nll by position inside the window, each window from a fresh state": curves}
    fig = draw_panels(
        panel, "position t in the window (tokens of context)", "mean nll (nats/token)"
    )
    fig.axes[0].set_xscale("log")  # as Kaplan et al.: each doubling of context alike
    return save(fig, path)


def body(results: list[dict], table: str, args) -> str:
    head = header("LM loss by position inside the training window")
    held = f"the last {args.held_out:.0%}" if args.held_out > 0 else "all"
    cap = f" (the first {args.max_windows:,} windows)" if args.max_windows else ""
    return "\n".join(head) + (
        f"\nEach run is scored on {held} of `{shown_path(args.text)}`, cut into consecutive "
        f"windows of its training length T{cap}; every window starts from a fresh state (no "
        "state carried in, for the recurrent model as for the Transformer), so position t "
        "predicts with exactly t tokens of context. The nll at each position is the mean over "
        f"the windows (Kaplan et al. 2020, figure 7).\n\n{table}\n\n"
        f"Plot: [docs/figures/{args.figure.name}](figures/{args.figure.name}).\n"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="Two or more trained lm run directories.")
    p.add_argument("--text", required=True, help="The text the runs were validated on.")
    p.add_argument("--held-out", type=float, default=0.1,
                   help="Score the last this fraction of --text (0: all of it).")  # fmt: skip
    p.add_argument("--max-windows", type=int, default=0, help="Score at most this many (0: all).")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--figure", type=Path, default=FIGURE)
    args = p.parse_args(argv)
    if len(args.runs) < 2 or not 0 <= args.held_out < 1:
        p.error("give two or more runs, and --held-out in [0, 1)")
    torch.set_num_threads(args.threads)
    text = read_text(args.text, what="validation text")
    results = [score_run(run, text, args) for run in args.runs]
    table = format_table(results)
    print(table)
    plot(results, args.figure)
    ends = "; ".join(
        f"{r['name']} {r['nll'][0]:.3f} at t=1, {r['nll'][-1]:.3f} at t={r['length']}"
        for r in results
    )
    row = SummaryRow("LM nll by position inside the window, fresh state per window", ends)
    write_section("long-context", body(results, table, args), summary=[row])


if __name__ == "__main__":
    main()
