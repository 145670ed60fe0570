"""Train one task config under a wall-clock budget, score held-out files, write its section.

    python -m bench.task_run NAME CONFIG [--eval-data F | --eval-src F --eval-ref F]
                             [--set key=value ...] [--threads 2] [--note TEXT]

The run's wall-clock time includes data preparation, training and every validation; the
config's ``train.time_limit_minutes`` bounds it. The metrics of ``seqlab evaluate`` on the
held-out file and the best validation metrics go into section NAME of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

from bench._report import header, write_section
from seqlab.config import parse_overrides
from seqlab.tasks import load_run, load_run_config
from seqlab.tasks.options import EvaluateOptions
from seqlab.tasks.run import train


def fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def finished_run(run_dir: Path, patience: int) -> tuple[dict, float]:
    """The summary of a run trained earlier, and its wall-clock minutes from the run
    directory's file times (config written at the start, metrics at the last validation)."""
    pos = json.loads((run_dir / "checkpoints/last/checkpoint.json").read_text())["position"]
    reason = "patience" if patience and pos["bad_evals"] >= patience else "epochs or time limit"
    start = (run_dir / "config.yaml").stat().st_mtime
    wall = ((run_dir / "metrics.jsonl").stat().st_mtime - start) / 60
    return {"step": pos["step"], "reason": reason}, wall


def model_fields(model) -> dict:
    """The model section's fields that apply: a Transformer's without the recurrent ones."""
    skip = {"embedding"}
    if getattr(model, "arch", "recurrent") == "transformer":
        skip |= set(model.RECURRENT_ONLY)
    return {k: v for k, v in vars(model).items() if k not in skip}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("config", type=Path)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--eval-data")
    ap.add_argument("--eval-src")
    ap.add_argument("--eval-ref")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--note", default="")
    ap.add_argument("--keys", default="", help="comma-separated metrics to tabulate")
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="do not train: report the finished run in out_dir (wall-clock from its file times)",
    )
    args = ap.parse_args()
    if any("".join(s.split()).startswith("train.threads=") for s in args.sets):
        ap.error("set the threads with --threads N (it also sets train.threads)")
    torch.set_num_threads(args.threads)
    overrides = parse_overrides(
        [*args.sets, f"train.threads={args.threads}", "train.progress=false"]
    )
    config = load_run_config(args.config, overrides)
    run_dir = Path(config.out_dir)
    if args.report_only:
        summary, wall = finished_run(run_dir, config.train.patience)
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
        start = time.monotonic()
        summary = train(args.config, overrides)
        wall = (time.monotonic() - start) / 60
    records = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    valid = [r for r in records if r["split"] == "valid"]
    best = next(
        r
        for r in valid
        if r["step"]
        == json.loads((run_dir / "checkpoints/best/checkpoint.json").read_text())["position"][
            "step"
        ]
    )
    held = {}
    if args.eval_data or args.eval_src:
        task, model = load_run(run_dir, "best")
        task.run_dir = run_dir
        files = EvaluateOptions(data=args.eval_data, src=args.eval_src, ref=args.eval_ref)
        held = task.evaluate(model, files).metrics
    keys = [k for k in args.keys.split(",") if k] or [
        k for k in best if k not in ("split", "step", "epoch")
    ]
    rows = ["| metric | best validation | held-out |", "|---|---:|---:|"]
    for k in keys:
        rows.append(f"| {k} | {fmt(best.get(k, ''))} | {fmt(held.get(k, ''))} |")
    result = {
        "wall_minutes": wall,
        "steps": summary["step"],
        "reason": summary["reason"],
        "best": {k: best.get(k) for k in keys},
        "held_out": {k: held.get(k) for k in keys},
    }
    print(json.dumps(result))
    (run_dir / "bench.json").write_text(json.dumps(result, indent=1))
    body = "\n".join(
        [
            *header(args.name),
            *(
                [
                    "Trained by the same command without `--report-only` (wall-clock from the run "
                    "directory's file times).",
                    "",
                ]
                if args.report_only
                else []
            ),
            args.note,
            "",
            f"Config `{args.config}` ({config.model.__class__.__name__}: "
            f"{', '.join(f'{k}={v}' for k, v in model_fields(config.model).items())}). "
            f"{summary['step']:,} steps, stopped by {summary['reason']}, {wall:.1f} min wall-clock "
            f"in all (data, training, every validation).",
            "",
            *rows,
        ]
    )
    write_section(args.name, body)


if __name__ == "__main__":
    main()
