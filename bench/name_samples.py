"""Ten invented surnames per language from the trained names run (one-to-many generation).

    python -m bench.name_samples [RUN] [--n 10] [--temperature 0.8] [--seed 1]

RUN defaults to runs/bench/names (made by the ``condgen-names`` benchmark). Each sample is
marked when it copies a training name exactly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from bench._report import SummaryRow, header, write_section
from seqlab.decode.strategy import sampling
from seqlab.tasks import load_run
from seqlab.tasks.options import GenerateOptions

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", nargs="?", type=Path, default=REPO / "runs" / "bench" / "names")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    task, model = load_run(args.run)
    seen = task.train_texts  # the training names (all languages), saved with the run
    rows = ["| language | samples (* = copies a training name) |", "|---|---|"]
    copies = total = 0
    for label in task.labels:
        strategy = sampling(args.temperature, seed=args.seed)
        names = task.generate(model, GenerateOptions(strategy=strategy, condition=label, n=args.n))
        copies += sum(x in seen for x in names)
        total += len(names)
        shown = ", ".join(f"{x}*" if x in seen else x for x in names)
        rows.append(f"| {label} | {shown} |")
    body = "\n".join(
        [
            *header("Invented surnames, 10 per language"),
            f"Run `{args.run.relative_to(REPO) if args.run.is_relative_to(REPO) else args.run}`, "
            f"temperature {args.temperature}, seed {args.seed}. Copies of a training name: "
            f"{copies} of {total} ({copies / max(1, total):.0%}).",
            "",
            *rows,
        ]
    )
    print(body)
    row = SummaryRow(
        what=f"Invented surnames, {args.n} per language (temperature {args.temperature})",
        result=f"{copies} of {total} copy a training name ({copies / max(1, total):.0%})",
    )
    write_section("names-samples", body, summary=[row])


if __name__ == "__main__":
    main()
