"""The context-vector bottleneck, for recurrence and attention without it: BLEU by source length.

    python -m bench.bottleneck RUN RUN [RUN ...] [--src F --ref F] [--beam 1]
                               [--name bottleneck-transformer] [--plot docs/figures/F.png]

Scores two or more trained seq2seq runs (for example no attention, Bahdanau, and the
Transformer, trained for the same budget by ``bench/attention_three_way.sh``) on the same
sentences with ``seqlab diagnose bottleneck``'s own analysis, bucketed by source length, and
writes the table, the figure and each run's parameter count into section NAME of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from bench._report import SummaryRow, header, write_section
from seqlab.analysis import bottleneck
from seqlab.data.io import shown_path
from seqlab.decode.strategy import beam_or_greedy
from seqlab.tasks import load_run
from seqlab.tasks.options import TranslateOptions

DATA = Path("../shared/data/multi30k")


def system(run: Path, beam: int) -> tuple[bottleneck.System, int]:
    """The run as a system under test, and its parameter count."""
    task, model = load_run(run, "best")
    options = TranslateOptions(strategy=beam_or_greedy(beam))

    def translate(lines: list[str]) -> list[str]:
        return [t.text for t in task.translate(model, lines, options)]

    m = task.config.model
    kind = (
        "Transformer" if m.arch == "transformer" else f"{m.cell.upper()}, attention {m.attention}"
    )
    name = f"{run.name} ({kind})"
    count = sum(p.numel() for p in model.parameters())
    return bottleneck.System(name, translate, task.lowercase_target, str(run)), count


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--src", default=str(DATA / "val.en.gz"))
    ap.add_argument("--ref", default=str(DATA / "val.fr.gz"))
    ap.add_argument("--beam", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="bottleneck-transformer")
    ap.add_argument("--plot", default="docs/figures/bottleneck_transformer.png")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    built = [system(run, args.beam) for run in args.runs]
    result = bottleneck.bleu_by_length([s for s, _ in built], args.src, args.ref, beam=args.beam)
    Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
    bottleneck.plot(result, args.plot)
    table = bottleneck.format_table(result)
    print(table)
    counts = ", ".join(f"{s.name}: {n:,}" for s, n in built)
    decoding = "greedy" if args.beam == 1 else f"beam {args.beam}"
    body = "\n".join(
        [
            *header("The context-vector bottleneck: BLEU by source length, RNN and Transformer"),
            f"Sentences: `{shown_path(args.src)}` against `{shown_path(args.ref)}`, "
            f"{decoding}, bucketed by source length in words (sacrebleu corpus BLEU per bucket). "
            f"Parameters: {counts}.",
            "",
            table,
            "",
            f"![BLEU by source length]({Path(args.plot).relative_to('docs')})"
            if args.plot.startswith("docs/")
            else f"Figure: `{args.plot}`",
        ]
    )
    overall = ", ".join(f"{r['name'].split(' (')[0]} {r['overall']:.1f}" for r in result["runs"])
    longest = ", ".join(
        f"{r['name'].split(' (')[0]} {r['bleu'][-1]:.1f}"
        for r in result["runs"]
        if r["bleu"][-1] is not None
    )
    row = SummaryRow(
        what=f"BLEU by source length ({decoding}), {len(built)} seq2seq runs",
        result=f"all: {overall}; longest bucket ({result['buckets'][-1]} words): {longest}",
    )
    write_section(args.name, body, summary=[row])


if __name__ == "__main__":
    main()
