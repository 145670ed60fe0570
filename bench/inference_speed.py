"""Inference speed of every backend, in one process, on the same inputs.

    python -m bench.inference_speed RUN [--sentences 200] [--threads 1]
        [--src ../shared/data/multi30k/val.en.gz --ref ../shared/data/multi30k/val.fr.gz]

RUN is a trained seq2seq run (the Multi30k Bahdanau model). The backends:

    eager-before  every decoder step through the modules (``Decoder.fast = False``): the step
                  decoding ran before the prepared-weights step
    eager         the prepared-weights step (:mod:`seqlab.models.decoder_inference`)
    onnx          ONNX Runtime, fp32 (``seqlab export RUN --format onnx``)
    onnx-int8     ONNX Runtime, dynamic int8 (``--int8``)

Measured for each: translation sentences/s (greedy and beam 5, batch 1 and 64; batch 1 on a
quarter of the sentences) with BLEU of the batch-64 outputs against ``--ref``; the time of one
batch-1 greedy step; the resident memory of a fresh process that loads the model and translates
one sentence. Also (measured first, while the process is small) a 1x512 character LSTM language
model's chars/s at batch 1 and an SST-2 classifier's sentences/s at batch 1 and 64, both freshly
built (2 training steps: speed does not depend on the weights' values). Bare PyTorch loops of the
same products (:mod:`bench._bare_loops`) run beside seqlab's decoder step and generation, and
ONNX Runtime's own run of the step graph beside the ONNX step. The machine's own matrix-vector and
matrix-matrix rates set the weight-streaming bound each batch-1 step is compared with.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from bench import _bare_loops as bare_loops
from bench import _decode_profile as loop_profile
from bench import _inference_parts as parts
from bench._report import header, write_section
from seqlab.decode.strategy import Beam, Greedy
from seqlab.export.onnx_export import export_onnx
from seqlab.models.decoder import Decoder
from seqlab.models.lm import LanguageModel
from seqlab.tasks import load_run

BACKENDS = ["eager-before", "eager", "onnx", "onnx-int8"]
DATA = Path("../shared/data")


def load(run: Path, backend: str):
    """(task, model) on ``backend``; the eager rows differ only in ``Decoder.fast``."""
    Decoder.fast = LanguageModel.fast = backend != "eager-before"
    return load_run(run, backend="torch" if backend.startswith("eager") else backend)


def ensure_exports(run: Path) -> None:
    for int8 in (False, True):
        export_onnx(run, int8=int8)


def translation_rows(run: Path, sentences: list[str], refs: list[str]) -> list[dict]:
    """Per backend: sentences/s per setting, BLEU per strategy at batch 64, step time."""
    rows = []
    for backend in BACKENDS:
        task, model = load(run, backend)
        ids = [task.src_ids(s) for s in sentences]
        row = {"backend": backend}
        for name, batch in parts.SETTINGS:
            strategy = Greedy() if name == "greedy" else Beam(5)
            todo = ids if batch > 1 else ids[: max(1, len(ids) // 4)]
            rate, hyps = parts.decode_rate(task, model, todo, strategy, batch)
            row[(name, batch)] = rate
            if batch > 1:
                texts = [task.tgt_text(h[0].tokens) for h in hyps]
                row[("bleu", name)] = parts.bleu(texts, refs[: len(texts)])
                row[("tokens", name)] = [h[0].tokens for h in hyps]
        row["step_ms"] = parts.greedy_step_ms(task, model, ids[:50])
        if backend.startswith("onnx"):  # ONNX Runtime's own run, on the same 5 sentences
            row["ort_ms"] = bare_loops.mean_over(bare_loops.ort_step_ms, model, ids[:5])
        row["loop"] = translation_profile(task, model, ids[:20])
        row["rss_mb"] = rss_of(run, backend)
        rows.append(row)
        print(backend, {k: v for k, v in row.items() if not str(k).startswith("('tokens")})
    return rows


RSS_SCRIPT = """
import resource, sys
from bench.inference_speed import load
from seqlab.decode.strategy import Greedy
task, model = load(sys.argv[1], sys.argv[2])
task.decode(model, [task.src_ids("a man is riding a bike .")], Greedy(), batch_size=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def rss_of(run: Path, backend: str) -> float:
    """Peak RSS (MB) of a fresh process holding the model after one translation."""
    out = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(run), backend],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def translation_profile(task, model, ids: list[list[int]]) -> dict[str, dict]:
    """Per strategy at batch 1: where a step's time goes (:mod:`bench._decode_profile`)."""
    out = {}
    for name, strategy in (("greedy", Greedy()), ("beam 5", Beam(5))):

        def run(strategy=strategy):
            hyps = task.decode(model, ids, strategy, batch_size=1)
            return [task.tgt_text(h[0].tokens) for h in hyps]

        out[name] = loop_profile.profile_row(run, model, task, ("tgt_text",))
    return out


def lm_rows(work: Path, length: int) -> tuple[list[dict], dict, float | None]:
    """Per backend: chars/s and the loop's profile; the step's weights; the bare loop's µs per
    character (:mod:`bench._bare_loops`)."""
    run = parts.train_tiny(work, "lm", parts.LM_CONFIG, DATA)
    ensure_exports(run)
    rows, bare = [], None
    for backend in BACKENDS:
        task, model = load(run, backend)
        if backend == "eager":
            bare = bare_loops.lm_us_per_char(model, length)
        rows.append({"backend": backend, "chars_s": parts.lm_rate(task, model, length)})
        rows[-1]["loop"] = loop_profile.profile_row(
            lambda task=task, model=model: parts.lm_generate(task, model, length),
            model,
            task,
            ("piece",),
        )
        print(rows[-1])
    Decoder.fast = LanguageModel.fast = True
    return rows, parts.lm_weights(load_run(run)[1]), bare


def classifier_rows(work: Path, sentences: list[str]) -> list[dict]:
    run = parts.train_tiny(work, "classify", parts.CLASSIFY_CONFIG, DATA)
    ensure_exports(run)
    rows = []
    for backend in ("eager", "onnx", "onnx-int8"):
        task, model = load(run, backend)
        row = {"backend": backend}
        for batch in (1, 64):
            todo = sentences if batch > 1 else sentences[: len(sentences) // 4]
            row[batch] = parts.classify_rate(task, model, todo, batch)
        rows.append(row)
        print(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path)
    ap.add_argument("--src", default=str(DATA / "multi30k/val.en.gz"))
    ap.add_argument("--ref", default=str(DATA / "multi30k/val.fr.gz"))
    ap.add_argument("--sentences", type=int, default=200)
    ap.add_argument("--lm-length", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--name", default="inference-speed")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sentences, refs = parts.read_pairs(args.src, args.ref, args.sentences)
    machine = parts.machine_rates()
    print(machine)
    bare = {}
    with tempfile.TemporaryDirectory() as d:
        # the small models first, while this process is small: a process that has loaded the
        # translation model four ways runs a batch-1 step measurably slower (its bare loop too)
        lm, lm_step, bare["lm_us"] = lm_rows(Path(d), args.lm_length)
        sst = [s for s, _ in parts.read_tsv(DATA / "sst2/dev.tsv", 256)]
        cls = classifier_rows(Path(d), sst)
    ensure_exports(args.run)
    task, model = load(args.run, "eager")
    step = parts.seq2seq_weights(model)
    ids = [task.src_ids(s) for s in sentences[:5]]
    bare["decoder_ms"] = bare_loops.mean_over(bare_loops.decoder_step_ms, model, ids)
    rows = translation_rows(args.run, sentences, refs)
    profile = parts.profile_steps(args.run)
    report = parts.Report(args, machine, step, rows, profile, lm, lm_step, cls, bare)
    body = report.body()
    print(body)
    write_section(
        args.name,
        "\n".join([*header(f"Inference speed ({args.name})"), body]),
        summary=report.summary(),
    )
    print(
        f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"done in {time.time() - t0:.0f}s")
