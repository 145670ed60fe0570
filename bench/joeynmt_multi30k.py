"""Side by side with JoeyNMT 2.3.0 on Multi30k en->fr: same data, model size, subwords, budget.

    python -m bench.joeynmt_multi30k [--minutes 20] [--venv ../joeynmt/.venv]
                                     [--seqlab-run runs/bench/m30k-bahdanau] [--level bpe|word]

JoeyNMT lives in its own virtual environment outside this repository (created on first use:
torch 2.13.0 first, then joeynmt 2.3.0 and importlib-metadata, then sentencepiece 0.1.99, since
joeynmt 2.3.0 calls an API that sentencepiece 0.2 removed). Both toolkits get:

- the official Multi30k train/val split, sentencepiece BPE with 4,000 pieces per side, trained
  here on the training text with the same sentencepiece version;
- a 1-layer bidirectional LSTM encoder (256), an LSTM decoder (256), embeddings 256, Bahdanau
  attention, dropout 0.3, batch 64 sentences (or ``--batch-type token --batch-size N``: N
  padded tokens, as seqlab's ``train.batch_tokens``), Adam 2e-3 at a constant rate, label smoothing
  0.1, gradient-norm clipping 1, validation every 500 steps (JoeyNMT: every ``--valid-freq``)
  with greedy BLEU on 300 val sentences keeping the best checkpoint;
- with ``--level word`` JoeyNMT instead reads words: Moses tokenization (sacremoses, a
  JoeyNMT dependency) on both sides, every word seen twice or more in training in the
  vocabulary, Moses detokenization of its output; seqlab keeps its subwords. This is the
  plain word-level setup, the one that shows what subwords are worth;
- ``--minutes`` of wall-clock training on this machine, then greedy decoding of all 1,014 val
  sentences with the best checkpoint, scored with sacrebleu against the raw references.

JoeyNMT is stopped by a timeout (SIGTERM) when the budget is spent; it saves its best
checkpoint at each validation. seqlab's side is the ``m30k-bahdanau`` run of
``bench/attention_three_way.sh multi30k`` (the same settings), read from its run directory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sacrebleu
import sentencepiece as spm
import yaml

from bench._report import SummaryRow, header, write_section
from bench.seq2seq_speed import measured_training_rate

# how the summary row names the tokens JoeyNMT reads
TOKENS_SHORT = {"bpe": "same subwords", "word": "JoeyNMT at word level"}
TOKENS = {
    "bpe": "subwords (sentencepiece BPE 4,000 per side)",
    "word": "JoeyNMT at word level (Moses tokenization, words seen at least twice, "
    "Moses detokenization), seqlab with its subwords (sentencepiece BPE 4,000 per side)",
}
REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "multi30k"


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "torch==2.13.0"], check=True)
        subprocess.run([*pip, "joeynmt==2.3.0", "importlib-metadata"], check=True)
        # joeynmt 2.3.0 calls SentencePieceProcessor.SetVocabulary, gone in sentencepiece 0.2
        subprocess.run([*pip, "sentencepiece==0.1.99"], check=True)
    return python


def prepare_data(work: Path) -> Path:
    """Plain text files named as JoeyNMT expects (train.en, train.fr, dev.en, dev.fr)."""
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    for split, name in (("train", "train"), ("val", "dev")):
        for lang in ("en", "fr"):
            with gzip.open(DATA / f"{split}.{lang}.gz", "rt", encoding="utf-8") as f:
                (data / f"{name}.{lang}").write_text(f.read(), encoding="utf-8")
    for lang in ("en", "fr"):
        spm.SentencePieceTrainer.train(
            input=str(data / f"train.{lang}"),
            model_prefix=str(data / f"sp.{lang}"),
            vocab_size=4000,
            model_type="bpe",
            character_coverage=1.0,
            minloglevel=2,
        )
    return data


def side(data: Path, lang: str, level: str) -> dict:
    if level == "word":
        return {
            "lang": lang,
            "level": "word",
            "max_length": 60,
            "voc_min_freq": 2,
            "tokenizer_cfg": {"pretokenizer": "moses"},
        }
    return {
        "lang": lang,
        "level": "bpe",
        "max_length": 60,
        "voc_min_freq": 1,
        "tokenizer_type": "sentencepiece",
        "tokenizer_cfg": {"model_file": str(data / f"sp.{lang}.model")},
    }


def joey_config(data: Path, model_dir: Path, args: argparse.Namespace) -> dict:
    """JoeyNMT's config for the side by side; ``args``: level, valid_freq, batch_type and
    batch_size of the command line."""
    level, valid_freq = args.level, args.valid_freq
    rnn = {"type": "recurrent", "rnn_type": "lstm", "hidden_size": 256, "num_layers": 1}
    emb = {"embedding_dim": 256}
    return {
        "name": "multi30k_en_fr",
        "joeynmt_version": "2.3.0",
        "data": {
            "train": str(data / "train"),
            "dev": str(data / "dev"),
            "dataset_type": "plain",
            "sample_dev_subset": 300,
            "src": side(data, "en", level),
            "trg": side(data, "fr", level),
        },
        "testing": {"beam_size": 1, "batch_size": 64, "eval_metrics": ["bleu"]},
        "training": {
            "random_seed": 42,
            "optimizer": "adam",
            "learning_rate": 0.002,
            # a constant rate, like seqlab's run: joeynmt 2.3.0 requires a scheduler, and
            # "plateau" crashes on torch 2.13, so use exponential decay with factor 1
            "scheduling": "exponential",
            "decrease_factor": 1.0,
            "clip_grad_norm": 1.0,
            "label_smoothing": 0.1,
            # sentences, or with batch_type token padded tokens: JoeyNMT 2.3.0 counts a batch
            # as its examples x the longest (longer side + 1), seqlab's batch_tokens count;
            # it fills batches in random order (no length bucketing)
            "batch_size": args.batch_size,
            "batch_type": args.batch_type,
            "normalization": "tokens",
            "epochs": 1000,
            "validation_freq": valid_freq,
            "logging_freq": 100,
            "early_stopping_metric": "bleu",
            "model_dir": str(model_dir),
            "overwrite": True,
            "shuffle": True,
            "use_cuda": False,
            "print_valid_sents": [0],
            "keep_best_ckpts": 1,
        },
        "model": {
            "encoder": {**rnn, "bidirectional": True, "dropout": 0.3, "embeddings": emb},
            "decoder": {
                **rnn,
                "dropout": 0.3,
                "hidden_dropout": 0.3,
                "attention": "bahdanau",
                "input_feeding": True,
                "init_hidden": "bridge",
                "embeddings": emb,
            },
        },
    }


def batch_words(args: argparse.Namespace) -> str:
    if args.batch_type == "token":
        return (
            f"batches of {args.batch_size:,} padded tokens (examples x the longest, "
            "JoeyNMT's `batch_type: token` and seqlab's `batch_type: tokens`)"
        )
    return f"batch {args.batch_size}"


def train_joey(python: Path, config: Path, minutes: float, log: Path) -> float:
    start = time.monotonic()
    with log.open("w") as out:
        try:
            subprocess.run(
                [str(python), "-m", "joeynmt", "train", str(config), "--skip-test"],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=minutes * 60,
            )
        except subprocess.TimeoutExpired:
            pass
    return (time.monotonic() - start) / 60


def joey_log_stats(model_dir: Path) -> dict:
    text = (model_dir / "train.log").read_text()
    rates = [float(x) for x in re.findall(r"Tokens per Sec:\s+(\d+)", text)]
    steps = [int(x) for x in re.findall(r"Step:\s+(\d+)", text)]
    bleus = [float(x) for x in re.findall(r"bleu:\s+([\d.]+)", text)]
    return {
        "tokens_per_s": statistics.median(rates) if rates else float("nan"),
        "steps": max(steps, default=0),
        "best_val_bleu_300": max(bleus, default=float("nan")),
    }


def score(hyp_path: Path) -> tuple[float, float]:
    hyps = hyp_path.read_text(encoding="utf-8").splitlines()
    with gzip.open(DATA / "val.fr.gz", "rt", encoding="utf-8") as f:
        refs = f.read().splitlines()
    return (
        sacrebleu.corpus_bleu(hyps, [refs]).score,
        sacrebleu.corpus_chrf(hyps, [refs]).score,
    )


def seqlab_side(run: Path) -> dict:
    """BLEU/chrF of the run's held-out scoring (bench/task_run.py) and its training tokens/s,
    measured like JoeyNMT's log rate: training steps only, no validation in the timed span."""
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    held = json.loads((run / "bench.json").read_text())["held_out"]  # written by task_run.py
    train_cfg = yaml.safe_load((run / "config.yaml").read_text()).get("train", {})
    return {
        "precision": train_cfg.get("precision", "fp32"),
        "tokens_per_s": measured_training_rate(run),
        "steps": max((r["step"] for r in rows), default=0),
        "bleu": held.get("bleu", float("nan")),
        "chrf": held.get("chrf", float("nan")),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--venv", type=Path, default=REPO.parent / "joeynmt" / ".venv")
    ap.add_argument("--work", type=Path, default=REPO.parent / "joeynmt" / "multi30k")
    ap.add_argument("--seqlab-run", type=Path, default=REPO / "runs" / "bench" / "m30k-bahdanau")
    ap.add_argument(
        "--skip-train", action="store_true", help="score the JoeyNMT model already in --work"
    )
    ap.add_argument("--name", default="m30k-joeynmt", help="section of docs/benchmarks.md")
    ap.add_argument(
        "--level",
        choices=("bpe", "word"),
        default="bpe",
        help="JoeyNMT's tokens: seqlab's subwords (bpe) or Moses words (word)",
    )
    ap.add_argument(
        "--valid-freq",
        type=int,
        default=500,
        help="JoeyNMT's validation (and best-checkpoint) interval in steps; on a slow machine a "
        "shorter one keeps its last checkpoint near the end of the budget",
    )
    ap.add_argument(
        "--batch-type",
        choices=("sentence", "token"),
        default="sentence",
        help="JoeyNMT's batch_type; match the seqlab run's train.batch_type",
    )
    ap.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="JoeyNMT's batch_size: sentences, or padded tokens with --batch-type token "
        "(match the seqlab run's train.batch_tokens)",
    )
    args = ap.parse_args()
    python = ensure_venv(args.venv)
    data = args.work / "data" if args.skip_train else prepare_data(args.work)
    model_dir = args.work / "model"
    config = args.work / "config.yaml"
    config.write_text(yaml.safe_dump(joey_config(data, model_dir, args), sort_keys=False))
    wall_file = args.work / "train_minutes.txt"
    if not args.skip_train:
        wall_file.write_text(f"{train_joey(python, config, args.minutes, args.work / 'train.out')}")
    wall = float(wall_file.read_text())
    joey = joey_log_stats(model_dir)
    hyp = args.work / "hyp"
    subprocess.run(
        [str(python), "-m", "joeynmt", "test", str(config), "--output-path", str(hyp)],
        check=True,
        capture_output=True,
    )
    joey["bleu"], joey["chrf"] = score(Path(f"{hyp}.dev"))
    ours = seqlab_side(args.seqlab_run)
    print(json.dumps({"joeynmt": joey, "seqlab": ours}))
    ratio_bleu = ours["bleu"] / joey["bleu"] if joey["bleu"] else float("nan")
    ratio_tok = ours["tokens_per_s"] / joey["tokens_per_s"]
    body = "\n".join(
        [
            *header(f"Multi30k en->fr: seqlab against JoeyNMT 2.3.0 ({args.name})"),
            f"Same data, {TOKENS[args.level]}, model size (1-layer "
            "bidirectional LSTM encoder 256, LSTM decoder 256, embeddings 256, Bahdanau "
            f"attention), {batch_words(args)}, Adam 2e-3 constant, label smoothing 0.1, "
            "dropout 0.3, and "
            f"{args.minutes:g} wall-clock minutes of training each, one after the other on this "
            "machine. BLEU/chrF: greedy decoding of all 1,014 val sentences with each toolkit's "
            "best checkpoint, sacrebleu on detokenized output. Tokens/s: target tokens per "
            "second of training alone (JoeyNMT: the median of its log, which leaves validation "
            "time out; seqlab: 40 real training steps of the same run config, timed by "
            "bench/seq2seq_speed.py's function). JoeyNMT also feeds the "
            "attentional vector back (its default); seqlab's Bahdanau run does not. JoeyNMT "
            f"trains in fp32; seqlab's run in {ours['precision']}. Goal: seqlab >= 1.5x "
            "JoeyNMT on BLEU and on tokens/s.",
            "",
            "| toolkit | steps | training tokens/s | val BLEU | val chrF |",
            "|---|---:|---:|---:|---:|",
            f"| JoeyNMT 2.3.0 | {joey['steps']:,} | {joey['tokens_per_s']:,.0f} | "
            f"{joey['bleu']:.1f} | {joey['chrf']:.1f} |",
            f"| seqlab (`{args.seqlab_run.name}`) | {ours['steps']:,} | "
            f"{ours['tokens_per_s']:,.0f} | {ours['bleu']:.1f} | {ours['chrf']:.1f} |",
            f"| ratio seqlab / JoeyNMT | | {ratio_tok:.2f}x | {ratio_bleu:.2f}x | |",
            "",
            f"JoeyNMT's training ran {wall:.1f} min wall-clock (stopped by the budget; its step "
            f"count is that of its last log line, every 100 steps); it validated every "
            f"{args.valid_freq} steps and its best validation BLEU on the 300-sentence subset "
            f"was {joey['best_val_bleu_300']:.1f}. seqlab validates every 500 steps and once "
            "more when its budget ends.",
        ]
    )
    row = SummaryRow(
        what=f"Multi30k en->fr against JoeyNMT 2.3.0, {TOKENS_SHORT[args.level]}, seqlab "
        f"{ours['precision']}, {args.minutes:g} min each",
        result=f"seqlab {ours['bleu']:.1f} BLEU at {ours['tokens_per_s']:,.0f} tokens/s; "
        f"JoeyNMT {joey['bleu']:.1f} at {joey['tokens_per_s']:,.0f}",
        goal=">= 1.5x JoeyNMT on BLEU and on tokens/s",
        anchor=f"{ratio_bleu:.2f}x BLEU, {ratio_tok:.2f}x tokens/s",
    )
    write_section(args.name, body, summary=[row])


if __name__ == "__main__":
    main()
