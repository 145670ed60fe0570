"""Validation quality of seqlab language models after a fixed wall-clock budget.

    python -m bench.lm_quality shakespeare [--minutes 15] [--data ../shared/data]
                                           [--size auto|LAYERSxHIDDEN]
    python -m bench.lm_quality ptb [--minutes 15]
                                   [--precision auto|fp32|bf16]
    python -m bench.lm_quality shakespeare --arch transformer [--size auto|LAYERSxWIDTH]

``--arch transformer`` trains the GPT-style model (``model.arch: transformer``) of the setup's
``transformer`` entry instead of the LSTM, on the same data, windows and budget; sizes are
layers x model width.

``auto`` (the default) trains in bf16 where the CPU has native bf16 (AVX512-BF16 or AMX), and
in fp32 elsewhere, where seqlab refuses bf16.

The whole run (data preparation, training, every validation) must fit in ``--minutes``: the
script measures the step time first, sets the cosine schedule's length so it ends inside the
budget, and lets the trainer's time limit stop it as a safety net. The wall-clock time of the
whole run is reported beside the result.

``--size auto`` (tiny-shakespeare only) lets the machine choose the model: it times each
candidate of ``SIZES`` (largest first) and keeps the largest that still reads the training text
at least ``MIN_EPOCHS`` times within the budget. A model that sees its text only two or three
times under-fits however large it is (a 2x512 model, sized on a machine with native bf16, read
tiny-shakespeare 2.7 times in 15 minutes on an AVX2 machine and stopped at 1.627 nats/char),
while the smaller ones lose little capacity on a 1M-character corpus.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from bench._report import SummaryRow, header, write_section
from seqlab.nn.recurrent import cpu_bf16_lstm_supported
from seqlab.tasks import run_config_from_dict
from seqlab.tasks.lm import LanguageModelTask
from seqlab.train.rundir import save_run_config
from seqlab.train.trainer import Trainer

REPO = Path(__file__).resolve().parent.parent
SIZES = {  # (layers, width), largest first: hidden_size for the LSTM, embedding_dim (D) else
    "lstm": [(2, 512), (2, 384), (2, 256), (1, 256)],
    "transformer": [(6, 384), (4, 256), (4, 192), (3, 128)],
}
MIN_EPOCHS = 6
SETUP_S = 25.0  # seconds of data preparation and model construction in the real run


def ptb_data(d: Path, bptt: int) -> dict:
    """PTB's data section, pre-tokenized words, read in windows of ``bptt``."""
    return {
        "train": str(d / "ptb/ptb.train.txt"),
        "valid": str(d / "ptb/ptb.valid.txt"),
        "word_split": "whitespace",
        "tokenizer": "word",
        "bptt": bptt,
    }


SETUPS = {
    "shakespeare": {
        "title": "tiny-shakespeare, character level",
        "goal": "validation loss <= 1.45 nats/char",
        "anchors": "a bare 40-line PyTorch script (2x512 `nn.LSTM`, fp32, Adam 2e-3, batch "
        "64x128, dropout 0.2) reaches 1.469 at best on this machine in 15 minutes; char-rnn's "
        "README checkpoint shows about 1.395 after 30 GPU epochs",
        "anchor": "bare PyTorch script 1.469 (fp32)",
        "data": lambda d: {
            "train": str(d / "tinyshakespeare/input.txt"),
            "tokenizer": "char",
            "valid_fraction": 0.1,
            "bptt": 128,
        },
        "model": {
            "cell": "lstm",
            "embedding_dim": 128,
            "hidden_size": 512,
            "num_layers": 2,
            "dropout": 0.2,
        },
        "train": {"batch_size": 64, "lr": 3e-3, "eval_batch_size": 32},
        "transformer": {
            "model": {
                "arch": "transformer",
                "embedding_dim": 256,
                "num_layers": 4,
                "num_heads": 4,
                "dropout": 0.1,
                "tie_weights": True,
            },
            "train": {"batch_size": 32, "lr": 2e-3, "eval_batch_size": 32},
        },
        "evals": 6,
        "unit": "nats/char",
    },
    "ptb": {
        "title": "Penn Treebank, word level",
        "goal": "validation perplexity <= 120.7 (Zaremba et al.'s small model)",
        "anchors": "a bare PyTorch script (2x256 `nn.LSTM`, tied embeddings, dropout 0.3, Adam "
        "2e-3, batch 32x35, fp32) reaches 136.9 here in 15 minutes at 6.7k tokens/s; Zaremba et "
        "al. 2x200 LSTM: 120.7 after 13 epochs",
        "anchor": "bare PyTorch script 136.9 (fp32); Zaremba et al. 120.7",
        "data": lambda d: ptb_data(d, 35),
        "model": {
            "cell": "lstm",
            "embedding_dim": 256,
            "hidden_size": 256,
            "num_layers": 2,
            "dropout": 0.2,
            "softmax": "adaptive",
            "adaptive_cutoffs": [2000, 6000],
        },
        "train": {"batch_size": 32, "lr": 3e-3, "eval_batch_size": 10},
        "transformer": {
            "model": {
                "arch": "transformer",
                "embedding_dim": 256,
                "num_layers": 4,
                "num_heads": 4,
                "dropout": 0.3,
                "tie_weights": True,
            },
            "train": {"batch_size": 32, "lr": 1e-3, "eval_batch_size": 10},
            # the LSTM carries its state from window to window; the Transformer sees only its
            # window, so it reads longer ones
            "data": lambda d: ptb_data(d, 128),
        },
        "evals": 6,
        "unit": "nats/word",
        "history": "Earlier runs of this script: a full 10k-way softmax with tied embeddings, "
        "dropout 0.3, fp32: 146.4 perplexity at 4.3k tokens/s (3,271 steps); the adaptive softmax "
        "(exact over all 10k words, the rare words share smaller tail projections) with bf16 "
        "recurrent layers: 11.9k tokens/s, 9,240 steps, 129.4 with dropout 0.4, where the "
        "training loss stayed at the validation loss (under-fitting), hence dropout 0.2 here.",
    },
}


def adaptive_note(model: dict) -> str:
    if model.get("softmax") != "adaptive":
        return ""
    return f", adaptive softmax (cutoffs {model['adaptive_cutoffs']}, tail dims / 4 per cluster)"


def setup(name: str, arch: str = "lstm") -> dict:
    """The setup ``name`` with the model and training of ``arch``."""
    s = dict(SETUPS[name])
    if arch == "transformer":
        s.update(s["transformer"])
    return s


def build(
    name: str,
    data_dir: Path,
    run_dir: Path,
    train_over: dict,
    model: dict | None = None,
    arch: str = "lstm",
) -> Trainer:
    s = setup(name, arch)
    cfg = run_config_from_dict(
        {
            "task": "lm",
            "data": s["data"](data_dir),
            "model": model or s["model"],
            "train": {
                **s["train"],
                "epochs": 10_000,
                "schedule": "cosine",
                "warmup_steps": 100,
                "min_lr_ratio": 0.02,
                "clip_grad_norm": 5.0,
                "threads": torch.get_num_threads(),
                "log_every": 50,
                "progress": False,
                **train_over,
            },
            "out_dir": str(run_dir),
        }
    )
    task = LanguageModelTask(cfg)
    task.prepare()
    return Trainer(task, run_dir)


def sized(model: dict, layers: int, width: int) -> dict:
    """``model`` with ``layers`` layers of ``width``: the LSTM's hidden size, else D."""
    key = "embedding_dim" if model.get("arch") == "transformer" else "hidden_size"
    return {**model, "num_layers": layers, key: width}


def describe(m: dict) -> str:
    """The model in a few words: 2x512 LSTM, embedding 128 / 4x256 Transformer, 4 heads."""
    if m.get("arch") == "transformer":
        return (
            f"{m['num_layers']}x{m['embedding_dim']} Transformer (GPT-style, pre-LN), "
            f"{m['num_heads']} heads, feed-forward {4 * m['embedding_dim']}, learned positions"
        )
    return f"{m['num_layers']}x{m['hidden_size']} LSTM, embedding {m['embedding_dim']}"


def short(m: dict) -> str:
    if m.get("arch") == "transformer":
        return f"{m['num_layers']}x{m['embedding_dim']} Transformer"
    return f"{m['num_layers']}x{m['hidden_size']} LSTM"


def calibrate(
    name: str,
    data_dir: Path,
    tmp: Path,
    precision: str,
    model: dict | None = None,
    steps: int = 8,
    arch: str = "lstm",
) -> tuple[float, float]:
    """Seconds per training step (the mean of ``steps`` after 3 warm-up) and per validation."""
    trainer = build(name, data_dir, tmp / "calib", {"precision": precision}, model, arch)
    trainer.setup()
    for i in range(3):
        trainer.train_step(trainer.task.train_batch(0, i))
    start = time.perf_counter()
    for i in range(3, 3 + steps):
        trainer.train_step(trainer.task.train_batch(0, i))
    step_s = (time.perf_counter() - start) / steps
    start = time.perf_counter()
    trainer.evaluate()
    return step_s, time.perf_counter() - start


def epoch_steps(name: str, data_dir: Path, tmp: Path, arch: str = "lstm") -> int:
    """Training steps in one pass over the training text."""
    trainer = build(name, data_dir, tmp / "epoch", {}, arch=arch)
    return trainer.task.num_batches(0)


def choose_size(
    name: str, data_dir: Path, tmp: Path, precision: str, minutes: float, start: float, arch: str
):
    """(model config, step s, validation s, the table of candidates) for ``--size auto``."""
    per_epoch = epoch_steps(name, data_dir, tmp, arch)
    base = setup(name, arch)["model"]
    rows, chosen = [], None
    for layers, width in SIZES[arch]:
        model = sized(base, layers, width)
        folder = tmp / f"{layers}x{width}"
        step_s, eval_s = calibrate(name, data_dir, folder, precision, model, 4, arch)
        rows.append((layers, width, step_s, eval_s))
    # the calibrations' own time comes out of the budget, as in the real run
    budget = minutes * 60 - (time.monotonic() - start) - SETUP_S
    table = []
    for layers, width, step_s, eval_s in rows:
        steps = (budget - (SETUPS[name]["evals"] + 1) * eval_s) / step_s
        epochs = steps / per_epoch
        table.append(f"| {layers}x{width} | {step_s * 1000:.0f} ms | {epochs:.1f} |")
        if chosen is None and epochs >= MIN_EPOCHS:
            chosen = (layers, width, step_s, eval_s)
    print("\n".join(table))
    layers, width, step_s, eval_s = chosen or rows[-1]
    return sized(base, layers, width), step_s, eval_s, table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("setup", choices=sorted(SETUPS))
    ap.add_argument("--minutes", type=float, default=15.0)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "bench")
    ap.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    ap.add_argument("--size", default="", help="auto, or LAYERSxWIDTH (default: the setup's)")
    ap.add_argument("--arch", choices=("lstm", "transformer"), default="lstm")
    ap.add_argument(
        "--name",
        default="",
        help="section of docs/benchmarks.md (default: lm-SETUP, and lm-SETUP-fp32 in fp32)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    s = setup(args.setup, args.arch)
    precision = args.precision
    if precision == "auto":
        precision = "bf16" if cpu_bf16_lstm_supported() else "fp32"
    wall_start = time.monotonic()
    model, size_table = dict(s["model"]), []
    if args.size and args.size != "auto":
        layers, width = (int(v) for v in args.size.lower().split("x"))
        model = sized(model, layers, width)
    with tempfile.TemporaryDirectory() as d:
        if args.size == "auto":
            model, step_s, eval_s, size_table = choose_size(
                args.setup, args.data, Path(d), precision, args.minutes, wall_start, args.arch
            )
        else:
            step_s, eval_s = calibrate(
                args.setup, args.data, Path(d), precision, model, arch=args.arch
            )
    budget = args.minutes * 60 - (time.monotonic() - wall_start)
    train_s = budget - SETUP_S - (s["evals"] + 1) * eval_s
    steps = int(0.97 * train_s / step_s)
    run_dir = args.out / (args.setup if args.arch == "lstm" else f"{args.setup}-{args.arch}")
    if run_dir.exists():
        import shutil

        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    over = {
        "max_steps": steps,
        "eval_every": max(1, steps // s["evals"]),
        "time_limit_minutes": (train_s + s["evals"] * eval_s) / 60,
        "precision": precision,
    }
    trainer = build(args.setup, args.data, run_dir, over, model, args.arch)
    save_run_config(trainer.task.config, run_dir / "config.yaml")
    trainer.task.save_artifacts(run_dir)
    summary = trainer.fit()
    wall = time.monotonic() - wall_start
    records = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    valid = [r for r in records if r["split"] == "valid"]
    best = min(valid, key=lambda r: r["loss"])
    tok_s = [r["tokens_per_s"] for r in records if r["split"] == "train"]
    result = {
        "best_loss": best["loss"],
        "best_ppl": best["ppl"],
        "steps": summary["step"],
        "wall_minutes": wall / 60,
        "tokens_per_s": tok_s[-1] if tok_s else None,
        "reason": summary["reason"],
    }
    print(json.dumps(result))
    curve = " -> ".join(f"{r['loss']:.3f}@{r['step']}" for r in valid)
    m, t = model, s["train"]
    body = "\n".join(
        [
            *header(
                f"{s['title']}: quality after {args.minutes:g} CPU-minutes, {precision}"
                + (", Transformer" if args.arch == "transformer" else "")
            ),
            f"Model: {describe(m)}, dropout {m['dropout']}, windows of "
            f"{s['data'](args.data)['bptt']} tokens"
            f"{' (each read on its own)' if m.get('arch') == 'transformer' else ''}"
            f"{', tied embeddings' if m.get('tie_weights') else ''}"
            f"{adaptive_note(m)}; Adam lr {t['lr']}, cosine "
            f"schedule sized to the budget ({steps:,} steps planned, 100 warm-up), clipping 5, "
            f"batch {t['batch_size']}, {precision}. Goal: {s['goal']}. "
            f"Anchors: {s['anchors']}.",
            *(["", s["history"]] if s.get("history") else []),
            *(
                [
                    "",
                    f"Size chosen by `--size auto`: the largest model of {len(SIZES[args.arch])} "
                    "that reads "
                    f"the training text at least {MIN_EPOCHS} times in the budget, from step and "
                    "validation times measured on this machine at the start of the run:",
                    "",
                    "| model | step | epochs in the budget |",
                    "|---|---:|---:|",
                    *size_table,
                ]
                if size_table
                else []
            ),
            "",
            "| metric | value |",
            "|---|---:|",
            f"| best validation loss | {best['loss']:.4f} {s['unit']} |",
            f"| best validation perplexity | {best['ppl']:.2f} |",
            f"| steps done | {summary['step']:,} ({summary['reason']}) |",
            f"| training tokens/s (last log) | {result['tokens_per_s'] or 0:,.0f} |",
            f"| wall-clock, all included | {wall / 60:.1f} min |",
            "",
            f"Validation curve (loss@step): {curve}",
        ]
    )
    row = SummaryRow(
        what=f"{s['title']}: {short(m)} LM, {args.minutes:g} CPU-min, {precision}",
        result=f"validation loss {best['loss']:.4f} {s['unit']}, perplexity {best['ppl']:.2f}",
        goal=s["goal"],
        anchor=s["anchor"],
    )
    # bf16 runs keep the section they always had; fp32 runs get their own, so both kinds of
    # machine stay in the summary
    arch = "" if args.arch == "lstm" else f"-{args.arch}"
    name = args.name or f"lm-{args.setup}{arch}" + ("" if precision == "bf16" else f"-{precision}")
    write_section(name, body, summary=[row])


if __name__ == "__main__":
    main()
