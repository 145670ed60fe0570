"""The measurements and the report of ``bench.inference_speed``."""

from __future__ import annotations

import contextlib
import csv
import functools
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sacrebleu
import torch
import yaml

from bench._decode_profile import table as loop_table
from bench._report import SummaryRow
from seqlab.data.io import iter_lines
from seqlab.data.parallel import pad, with_eos
from seqlab.data.vocab import SOS_ID
from seqlab.decode.strategy import Sample
from seqlab.models.decoder import Decoder
from seqlab.tasks import load_run, load_run_config
from seqlab.tasks.options import GenerateOptions, PredictOptions

try:  # a seqlab from before fixed_weights (the "before" runs) checks its step every time
    from seqlab.nn.step_inference import fixed_weights
except ImportError:  # pragma: no cover
    fixed_weights = contextlib.nullcontext
try:  # and before step_function, calls model.step
    from seqlab.decode.search import step_function
except ImportError:  # pragma: no cover

    def step_function(model):
        return model.step


SETTINGS = [("greedy", 1), ("greedy", 64), ("beam 5", 1), ("beam 5", 64)]  # (strategy, batch)
LM_CONFIG = {  # a 1x512 character LSTM on tiny-shakespeare
    "task": "lm",
    "data": {"train": "tinyshakespeare/input.txt", "tokenizer": "char", "valid_fraction": 0.01},
    "model": {"cell": "lstm", "embedding_dim": 64, "hidden_size": 512, "num_layers": 1},
    "train": {"batch_size": 8, "max_steps": 2, "eval_every": 1000, "threads": 2},
}
CLASSIFY_CONFIG = {  # configs/classify_sst2.yaml's model: a BiLSTM with mean pooling
    "task": "classify",
    "data": {
        "train": "sst2/train.tsv",
        "valid": "sst2/dev.tsv",
        "header": True,
        "label_column": "label",
        "text_column": "sentence",
        "delimiter": "\t",
        "tokenizer": "word",
        "lowercase": True,
    },
    "model": {
        "cell": "lstm",
        "embedding_dim": 100,
        "hidden_size": 128,
        "bidirectional": True,
        "pooling": "mean",
    },
    "train": {"batch_size": 64, "max_steps": 2, "eval_every": 1000, "threads": 2},
}


def best_of(fn: Callable[[], object], repeats: int = 5, inner: int = 1) -> float:
    """The fastest of ``repeats`` timings of ``inner`` calls, per call (seconds)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


# ------------------------------------------------------------------ the machine


def machine_rates() -> dict[str, float]:
    """fp32 matrix-vector rate (GB/s of weights, GFLOP/s) for a 512x1024 matrix (in cache, as a
    decoder step reads it) and a 4096x4096 one (64 MB: from memory), and the 1024^3 GEMM rate."""
    out = {}
    for name, (k, n) in {"gemv": (512, 1024), "gemv_mem": (4096, 4096)}.items():
        w, x, b = torch.randn(k, n), torch.randn(1, k), torch.randn(n)
        t = best_of(lambda b=b, x=x, w=w: torch.addmm(b, x, w), inner=200 if k == 512 else 10)
        out[f"{name}_gbs"] = k * n * 4 / t / 1e9
        out[f"{name}_gflops"] = 2 * k * n / t / 1e9
    a, c = torch.randn(1024, 1024), torch.randn(1024, 1024)
    out["gemm_gflops"] = 2 * 1024**3 / best_of(lambda: a @ c, inner=3) / 1e9
    return out


@functools.cache
def stream_ms(nbytes: int) -> float:
    """Milliseconds of one fp32 matrix-vector product over a 512-row matrix of ``nbytes``
    (the fastest of repeated calls: the matrix sits wherever that many bytes stay, in cache
    or in memory). A step that must read that many bytes of weights cannot be faster."""
    n = max(1, int(nbytes) // 4 // 512)
    w, x, b = torch.randn(512, n), torch.randn(1, 512), torch.randn(n)
    return best_of(lambda: torch.addmm(b, x, w), repeats=5, inner=50) * 1e3


# ------------------------------------------------------------------ data and tiny runs


def read_pairs(src: str, ref: str, n: int) -> tuple[list[str], list[str]]:
    pairs = [(s, r) for s, r in zip(iter_lines(src), iter_lines(ref)) if s.strip()]
    return [s for s, _ in pairs[:n]], [r for _, r in pairs[:n]]


def read_tsv(path: Path, n: int) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1 : n + 1]
    return [(r[0], r[1]) for r in rows]


def train_tiny(work: Path, name: str, config: dict, data: Path) -> Path:
    """Train ``config`` for its few steps into ``work/name``; paths are under ``data``."""
    config = {**config, "out_dir": str(work / name)}
    config["data"] = {
        k: (str(data / v) if k in ("train", "valid") else v) for k, v in config["data"].items()
    }
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    subprocess.run([sys.executable, "-m", "seqlab", "train", str(path)], check=True)
    return work / name


# ------------------------------------------------------------------ translation


def decode_rate(task, model, ids: list[list[int]], strategy, batch: int):
    """(sentences/s, hypotheses) of decoding ``ids`` ``batch`` at a time, after a warm-up."""
    task.decode(model, ids[:batch], strategy, batch_size=batch)
    start = time.perf_counter()
    hyps = task.decode(model, ids, strategy, batch_size=batch)
    return len(ids) / (time.perf_counter() - start), hyps


def bleu(texts: list[str], refs: list[str]) -> float:
    return sacrebleu.corpus_bleu(texts, [refs]).score


@torch.inference_mode()
def greedy_step_ms(task, model, ids: list[list[int]], steps: int = 100) -> float:
    """Milliseconds per batch-1 greedy step, on the encoding of each of ``ids`` in turn. The
    steps run as the decoding loop runs them: inside one ``fixed_weights`` block, through the
    step the model gives for a whole call (``step_function``)."""
    total = 0.0
    for sentence in ids[:5]:
        src, lengths = pad([with_eos(sentence)])
        start_state = model.start(src, lengths)

        def run(state=start_state):
            tok = torch.tensor([SOS_ID])
            with fixed_weights():
                step = step_function(model)
                for _ in range(steps):
                    logits, state = step(tok, state)
                    tok = logits.argmax(-1)

        total += best_of(run, repeats=5) / steps
    return total / min(5, len(ids)) * 1e3


def seq2seq_weights(model, source_length: int = 14) -> dict[str, float]:
    """Weights (count) a prepared decoder step reads, and its FLOPs for a source of
    ``source_length``: everything but the embedding (a table row) and the memory projection
    (once per source)."""
    dec = model.decoder
    e = dec.embedding.weight.shape[1]
    n = 0
    for name, p in dec.named_parameters():
        if name.startswith("embedding.") or name.startswith("attention.memory_proj"):
            continue
        n += p[:, e:].numel() if name == "rnn.rnn.weight_ih_l0" else p.numel()
    a = dec.attention
    att = a.query_proj.out_features if hasattr(a, "query_proj") else dec.hidden_size
    memory = dec.combine.in_features - dec.hidden_size if dec.combine is not None else 0
    flops = 2 * n + source_length * (3 * att + 2 * memory)
    return {"weights": n, "flops": flops}


def lm_weights(model) -> dict[str, float]:
    """Weights a prepared LM step reads (W_hh, the output layer; the input is a table row)."""
    n = sum(p.numel() for name, p in model.named_parameters() if "weight_ih_l0" not in name)
    n -= model.embedding.weight.numel()
    return {"weights": n, "flops": 2 * n}


# ------------------------------------------------------------------ profile


def profile_steps(run: Path, steps: int = 100) -> dict[str, list[tuple[str, float]]]:
    """Per path (module step, prepared step) and width (greedy 1 row, beam 5 rows): the ops
    taking the most time, as microseconds per step."""
    from torch.profiler import profile

    task, model = load_run(run)
    src, lengths = pad([with_eos(task.src_ids("two young men are playing soccer in a park ."))])
    out = {}
    for fast in (False, True):
        Decoder.fast = fast
        for rows in (1, 5):
            with torch.inference_mode():
                state = model.select(model.start(src, lengths), torch.zeros(rows, dtype=torch.long))
                tok = torch.full((rows,), SOS_ID)
                model.step(tok, state)
                with profile() as prof:
                    for _ in range(steps):
                        logits, state = model.step(tok, state)
            ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
            total = sum(e.self_cpu_time_total for e in ops) / steps
            top = [(e.key, e.self_cpu_time_total / steps) for e in ops[:7]]
            out[f"{'prepared' if fast else 'module'} step, {rows} row(s)"] = [
                ("total", total)
            ] + top
    Decoder.fast = True
    return out


# ------------------------------------------------------------------ LM and classifier


def lm_generate(task, model, length: int) -> list[str]:
    """``length`` characters from the prime "T" at batch 1, sampled at temperature 1, seed 0."""
    options = GenerateOptions(prime="T", max_tokens=length, strategy=Sample(1.0, seed=0), n=1)
    return task.generate(model, options)


def lm_rate(task, model, length: int) -> float:
    """chars/s generating ``length`` characters at batch 1 (sampling at temperature 1)."""
    task.generate(model, GenerateOptions(prime="T", max_tokens=16, strategy=Sample(1.0), n=1))
    return length / best_of(lambda: lm_generate(task, model, length), repeats=5)


def classify_rate(task, model, sentences: list[str], batch: int) -> float:
    options = PredictOptions(batch_size=batch)
    return len(sentences) / best_of(lambda: task.predict(model, sentences, options), repeats=3)


# ------------------------------------------------------------------ the report


def bleu_label(run: Path, src: str) -> str:
    """What a BLEU on ``src`` is for ``run``: a validation figure when ``src`` is the file that
    chose its checkpoint, a training-data figure on its training file, else a held-out one."""
    data = load_run_config(run / "config.yaml").data

    def same(path: str | None) -> bool:
        return path is not None and Path(path).resolve() == Path(src).resolve()

    if same(getattr(data, "valid", None)):
        return (
            f"BLEU is sacreBLEU on `{src}`, the validation file that chose the checkpoint: "
            "a validation figure."
        )
    if same(data.train):
        return f"BLEU is sacreBLEU on `{src}`, the run's training file: not a held-out figure."
    return (
        f"BLEU is sacreBLEU on `{src}`, a file that neither trained the run nor chose its "
        "checkpoint: a held-out figure."
    )


@dataclass
class Report:
    args: object
    machine: dict
    step: dict
    rows: list[dict]
    profile: dict
    lm: list[dict]
    lm_step: dict
    classify: list[dict]
    bare: dict = field(default_factory=dict)  # bench._bare_loops: decoder_ms, lm_us

    def bound_ms(self, weights: float, bytes_per_weight: float = 4) -> float:
        """The weight-streaming bound: measured at this many bytes (:func:`stream_ms`)."""
        return stream_ms(int(weights * bytes_per_weight))

    def body(self) -> str:
        return "\n".join(
            [
                *self._machine(),
                *self._translation(),
                *self._loop(),
                *self._profile(),
                *self._lm(),
                *self._cls(),
            ]
        )

    def _machine(self) -> list[str]:
        m = self.machine
        return [
            f"Threads: {self.args.threads}. Machine rates, fp32, measured in this process: "
            f"matrix-vector 512x1024 (in cache) {m['gemv_gbs']:.1f} GB/s = "
            f"{m['gemv_gflops']:.1f} GFLOP/s; 4096x4096 (64 MB, from memory) "
            f"{m['gemv_mem_gbs']:.1f} GB/s; GEMM 1024^3 {m['gemm_gflops']:.0f} GFLOP/s. "
            "The weight-streaming bound of a step is the time of one matrix-vector product "
            "over a matrix of as many bytes as the weights the step must read, measured here "
            "at that size, so it holds them in cache or streams them from memory as the step "
            "would (int8: a quarter of the bytes).",
            "",
        ]

    def _translation(self) -> list[str]:
        s = self.step
        bound = self.bound_ms(s["weights"])
        head = "| backend | " + " | ".join(f"{n}, batch {b} (sent/s)" for n, b in SETTINGS)
        lines = [
            f"### Translation: `{self.args.run}`, first {self.args.sentences} lines of "
            f"`{self.args.src}`",
            "",
            f"A batch-1 decoder step reads {s['weights'] / 1e6:.2f}M weights "
            f"({s['weights'] * 4 / 1e6:.1f} MB fp32) and does {s['flops'] / 1e6:.1f} MFLOP "
            f"(14-token source): the fp32 bound is {bound:.3f} ms per step, int8 weights "
            f"{self.bound_ms(s['weights'], 1):.3f} ms.",
            "",
            head + " | BLEU greedy | BLEU beam 5 | greedy tokens = eager | step (ms) "
            "| x bound | step GFLOP/s | RSS (MB) |",
            "|---|" + "---:|" * (len(SETTINGS) + 8),
        ]
        eager = next(r for r in self.rows if r["backend"] == "eager")
        for r in self.rows:
            same = sum(a == b for a, b in zip(r[("tokens", "greedy")], eager[("tokens", "greedy")]))
            rates = " | ".join(f"{r[k]:,.1f}" for k in SETTINGS)
            lines.append(
                f"| {r['backend']} | {rates} | {r[('bleu', 'greedy')]:.2f} | "
                f"{r[('bleu', 'beam 5')]:.2f} | {same}/{len(eager[('tokens', 'greedy')])} | "
                f"{r['step_ms']:.3f} | {r['step_ms'] / bound:.1f} | "
                f"{s['flops'] / r['step_ms'] / 1e6:.2f} | {r['rss_mb']:.0f} |"
            )
        lines += ["", bleu_label(Path(self.args.run), self.args.src), ""]
        ort = [r for r in self.rows if r.get("ort_ms")]
        if ort:
            runs = "; ".join(
                f"{r['backend']} {r['ort_ms']:.3f} ms "
                f"({r['ort_ms'] / self._bound_of(r['backend'], self.step):.2f}x "
                f"its bound), {r['step_ms'] / r['ort_ms']:.2f}x of it in the step above"
                for r in ort
            )
            lines += [
                "ONNX Runtime's own run of the step graph (`session.run` on state chained from "
                f"step to step, nothing of seqlab between runs; the same 5 sentences): {runs}.",
                "",
            ]
        bare = self.bare.get("decoder_ms")
        if bare:
            lines += [
                f"A bare PyTorch loop of the same products and equations (`bench/_bare_loops.py`: "
                f"no model object, decoding loop or state object; the same 5 sentences) takes "
                f"{bare:.3f} ms per greedy step, {bare / bound:.2f}x the bound: what the small "
                f"kernels around the weight products cost. The torch step takes "
                f"{eager['step_ms'] / bare:.2f}x the bare loop's time: what seqlab's structure "
                "costs.",
                "",
            ]
        return lines

    def _bound_of(self, backend: str, step: dict) -> float:
        """The weight-streaming bound (ms) of ``step`` (its weights) on ``backend``: int8
        weights are a quarter of the bytes."""
        return self.bound_ms(step["weights"], 1 if backend == "onnx-int8" else 4)

    def _loop(self) -> list[str]:
        """Where each backend's batch-1 decoding step goes, against its bound (µs)."""
        rows = []
        for r in self.rows:
            bound = self._bound_of(r["backend"], self.step) * 1e3
            for name, split in r["loop"].items():
                rows.append((f"translation, {name}", r["backend"], split, bound))
        for r in self.lm:
            bound = self._bound_of(r["backend"], self.lm_step) * 1e3
            rows.append(("char LM, sampling", r["backend"], r["loop"], bound))
        return loop_table(rows)

    def _profile(self) -> list[str]:
        lines = ["### Where a step's time goes (torch profiler, self CPU time per step)", ""]
        for name, ops in self.profile.items():
            parts = ", ".join(f"`{k}` {v:.0f}" for k, v in ops[1:])
            lines.append(f"- {name}: {ops[0][1]:.0f} µs in all; {parts} µs")
        return lines + [""]

    def _lm(self) -> list[str]:
        bound = self.bound_ms(self.lm_step["weights"])
        int8_bound = self.bound_ms(self.lm_step["weights"], 1)
        lines = [
            "### Character LM (1x512 LSTM, 65 symbols), batch 1",
            "",
            f"A step reads {self.lm_step['weights'] / 1e6:.2f}M weights: fp32 bound "
            f"{1e3 / bound:,.0f} chars/s, int8 {1e3 / int8_bound:,.0f}.",
            "",
            "| backend | chars/s | x fp32 bound |",
            "|---|---:|---:|",
        ]
        for r in self.lm:
            lines.append(
                f"| {r['backend']} | {r['chars_s']:,.0f} | {1e3 / bound / r['chars_s']:.2f} |"
            )
        lines.append("")
        bare = self.bare.get("lm_us")
        if bare:
            eager = next(r["chars_s"] for r in self.lm if r["backend"] == "eager")
            lines += [
                f"A bare PyTorch sampling loop of the same products (`bench/_bare_loops.py`, "
                f"W_hh as one product) makes {1e6 / bare:,.0f} chars/s, "
                f"{bare / (bound * 1e3):.2f}x the bound; torch generation through seqlab makes "
                f"{eager / (1e6 / bare):.2f}x the bare loop's rate (its one-layer LSTM reads a "
                "W_hh larger than the L2 cache as gate blocks in alternating order, so each step "
                "starts on the blocks still in cache).",
                "",
            ]
        return lines

    def _cls(self) -> list[str]:
        lines = [
            "### SST-2 classifier (BiLSTM 128, mean pooling), 256 dev sentences",
            "",
            "| backend | batch 1 (sent/s) | batch 64 (sent/s) |",
            "|---|---:|---:|",
        ]
        for r in self.classify:
            lines.append(f"| {r['backend']} | {r[1]:,.1f} | {r[64]:,.1f} |")
        return lines + [""]

    def summary(self) -> list[SummaryRow]:
        by = {r["backend"]: r for r in self.rows}
        best = max(self.rows, key=lambda r: r[("greedy", 1)])
        before = by["eager-before"][("greedy", 1)]
        lm = {r["backend"]: r["chars_s"] for r in self.lm}
        lm_bound = self.bound_ms(self.lm_step["weights"])
        bound = self.bound_ms(self.step["weights"])
        eager, onnx = by["eager"]["step_ms"], by["onnx"]["step_ms"]
        return [
            SummaryRow(
                "Batch-1 greedy translation, best backend",
                f"{best[('greedy', 1)]:,.1f} sent/s ({best['backend']})",
                ">= 4x the module step",
                f"{best[('greedy', 1)] / before:.1f}x",
            ),
            SummaryRow(
                "Batch-1 char LM generation, 1x512, torch",
                f"{lm['eager']:,.0f} chars/s ({1e3 / lm_bound / lm['eager']:.2f}x the bound)",
                "within 1.5x of the weight-streaming bound",
                f"bound {1e3 / lm_bound:,.0f} chars/s; onnx-int8 {lm['onnx-int8']:,.0f}",
            ),
            SummaryRow(
                "Batch-1 greedy decoder step, torch / ONNX fp32",
                f"{eager:.3f} / {onnx:.3f} ms ({eager / bound:.2f}x / {onnx / bound:.2f}x "
                "the bound)",
                "within 1.5x / 1.25x of the weight-streaming bound",
                f"bound {bound:.3f} ms",
            ),
            SummaryRow(
                "Batch-1 beam 5 translation, torch",
                f"{by['eager'][('beam 5', 1)]:,.1f} sent/s",
                ">= 2x before the loop changes",
                "see inference-speed-before-loop",
            ),
        ]
