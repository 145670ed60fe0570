"""Checkpoint averaging and ensembles, measured on held-out data with the commands users run.

    python -m bench.average_ensemble NAME --runs RUN [RUN ...] [--average RUN --last 5]
        (--data FILE | --src FILE --ref FILE) --keys f1,precision,recall [--note TEXT]

Scores, with ``seqlab.load(...).evaluate`` on the same file(s):

- each run of ``--runs`` alone (its ``best`` checkpoint), then all of them as one ensemble
  (``--ensemble``: the mean probabilities, or a tagger's mean emissions before Viterbi);
- with ``--average RUN``: that run's ``best`` and ``last`` checkpoints, and the mean of its last
  ``--last`` kept step checkpoints, written by ``seqlab average`` to ``RUN-avgN``.

Writes the table (and the seconds each evaluation took) into section NAME of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import torch

from bench._report import SummaryRow, header, write_section
from seqlab.api import load
from seqlab.cli import main as cli
from seqlab.data.io import shown_path


def score(run: Path, args: argparse.Namespace, *, which: str = "best", ensemble=()) -> dict:
    """The metrics of one evaluation, plus the seconds it took (loading included)."""
    start = time.perf_counter()
    model = load(run, which=which, ensemble=list(ensemble))
    metrics = model.evaluate(args.data, src=args.src, ref=args.ref).metrics
    return {**metrics, "seconds": time.perf_counter() - start}


def averaged(run: Path, last: int) -> Path:
    """``seqlab average RUN --last N --out RUN-avgN`` (made afresh), and the new run."""
    out = run.with_name(f"{run.name}-avg{last}")
    shutil.rmtree(out, ignore_errors=True)
    cli(["average", str(run), "--last", str(last), "--out", str(out)])
    return out


def rows_of(args: argparse.Namespace) -> list[tuple[str, dict]]:
    alone = {run: score(run, args) for run in args.runs}
    rows = [(f"{run.name} alone", metrics) for run, metrics in alone.items()]
    if len(args.runs) > 1:
        first, *others = args.runs
        names = " + ".join(r.name for r in args.runs)
        rows.append((f"ensemble of {len(args.runs)}: {names}", score(first, args, ensemble=others)))
    if args.average:
        run = args.average
        best = alone.get(run) or score(run, args)  # already scored when it is one of --runs
        rows.append((f"{run.name}, best checkpoint", best))
        rows.append((f"{run.name}, last checkpoint", score(run, args, which="last")))
        out = averaged(run, args.last)
        rows.append((f"{run.name}, mean of its last {args.last} checkpoints", score(out, args)))
    return rows


def table(rows: list[tuple[str, dict]], keys: list[str]) -> str:
    lines = [
        "| model | " + " | ".join(keys) + " | seconds |",
        "|---" + "|---:" * (len(keys) + 1) + "|",
    ]
    for name, m in rows:
        cells = [f"{m[k]:.4f}" if isinstance(m.get(k), float) else str(m.get(k, "")) for k in keys]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {m['seconds']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--runs", type=Path, nargs="+", required=True)
    ap.add_argument("--average", type=Path)
    ap.add_argument("--last", type=int, default=5)
    ap.add_argument("--data")
    ap.add_argument("--src")
    ap.add_argument("--ref")
    ap.add_argument("--keys", default="f1")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--note", default="")
    ap.add_argument("--what", default="", help="the summary row's description")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    keys = [k for k in args.keys.split(",") if k]
    rows = rows_of(args)
    text = table(rows, keys)
    print(text)
    files = [shown_path(f) for f in (args.data, args.src, args.ref) if f]
    body = "\n".join(
        [
            *header(f"Checkpoint averaging and ensembles: {args.name}"),
            f"Scored on `{'` against `'.join(files)}` with `seqlab evaluate` (the `best` "
            "checkpoint unless a row says otherwise). " + args.note,
            "",
            text,
        ]
    )
    key = keys[0]
    alone = [m[key] for name, m in rows if name.endswith(" alone")]
    parts = [f"members {', '.join(f'{v:.4f}' for v in alone)}"]
    parts += [
        f"{name.split(':')[0]} {m[key]:.4f}" for name, m in rows if name.startswith("ensemble")
    ]
    parts += [
        f"{name.split(', ')[-1]} {m[key]:.4f}"
        for name, m in rows
        if ", " in name and "ensemble" not in name
    ]
    what = args.what or f"{args.name}: averaging and ensembles ({key})"
    row = SummaryRow(what=what, result="; ".join(parts))
    write_section(args.name, body, summary=[row])


if __name__ == "__main__":
    main()
