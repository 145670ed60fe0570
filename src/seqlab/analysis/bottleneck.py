"""The fixed-size context-vector bottleneck, measured: BLEU by source-sentence length.

A seq2seq model without attention must squeeze a whole source sentence into the encoder's final
state; with attention the decoder looks back at every source position. Bahdanau et al. (2015,
Fig. 2) show the first falling as sentences grow while the second holds. This scores two or more
trained seq2seq runs on the same test set, bucketed by source length in words, so the figure can
be redrawn on any data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seqlab.analysis import plots
from seqlab.data.parallel import read_aligned_lines
from seqlab.errors import SeqlabError

BUCKETS: tuple[tuple[int, int | None], ...] = (
    (1, 5),
    (6, 10),
    (11, 15),
    (16, 20),
    (21, 25),
    (26, None),
)


def bucket_name(lo: int, hi: int | None) -> str:
    return f"{lo}-{hi}" if hi is not None else f"{lo}+"


def bucket_index(length: int) -> int:
    for i, (lo, hi) in enumerate(BUCKETS):
        if length >= lo and (hi is None or length <= hi):
            return i
    return 0


@dataclass(frozen=True)
class System:
    """A trained model under test: its name, a function from source lines to output lines, and
    whether its outputs are lowercased (the references are then lowercased too)."""

    name: str
    translate: Callable[[list[str]], list[str]]
    lowercase: bool = False
    run: str = ""


def bleu_by_length(
    systems: list[System], src: str, ref: str, *, encoding: str = "utf-8", beam: int = 1
) -> dict[str, Any]:
    """Per system and per source-length bucket: corpus BLEU (sacrebleu) and sentence counts.
    ``beam`` is only reported: the systems decode as they were built."""
    import sacrebleu

    if len(systems) < 2:
        raise SeqlabError("diagnose bottleneck: give two or more seq2seq run directories")
    sources, refs = read_aligned_lines(src, ref, encoding, "reference")
    buckets = [bucket_index(len(s.split())) for s in sources]
    counts = [buckets.count(i) for i in range(len(BUCKETS))]
    results = []
    for system in systems:
        hyps = system.translate(sources)
        lowered = [r.lower() for r in refs] if system.lowercase else refs
        per_bucket = []
        for i in range(len(BUCKETS)):
            idx = [k for k, b in enumerate(buckets) if b == i]
            hyp, gold = [hyps[k] for k in idx], [[lowered[k] for k in idx]]
            per_bucket.append(sacrebleu.corpus_bleu(hyp, gold).score if idx else None)
        overall = sacrebleu.corpus_bleu(hyps, [lowered]).score
        results.append(
            {"run": system.run, "name": system.name, "bleu": per_bucket, "overall": overall}
        )
    return {
        "buckets": [bucket_name(*b) for b in BUCKETS],
        "counts": counts,
        "runs": results,
        "beam": beam,
        "src": src,
        "ref": ref,
    }


def format_table(result: dict[str, Any]) -> str:
    head = "| model | " + " | ".join(result["buckets"]) + " | all |"
    rule = "|---|" + "---:|" * (len(result["buckets"]) + 1)
    counts = (
        "| sentences | "
        + " | ".join(f"{c:,}" for c in result["counts"])
        + f" | {sum(result['counts']):,} |"
    )
    rows = [head, rule, counts]
    for r in result["runs"]:
        cells = " | ".join("-" if v is None else f"{v:.1f}" for v in r["bleu"])
        rows.append(f"| {r['name']} | {cells} | {r['overall']:.1f} |")
    return "\n".join(rows)


def draw(result: dict[str, Any]) -> plots.Figure:
    """BLEU against source-length bucket, one line per run (a bucket with no score is skipped);
    each bucket's tick shows its sentence count."""
    fig, (ax,) = plots.figure(6.4, 3.8)
    x = list(range(len(result["buckets"])))
    for r in result["runs"]:
        pts = [(i, v) for i, v in zip(x, r["bleu"]) if v is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=r["name"])
    labels = [f"{b}\n(n={c})" for b, c in zip(result["buckets"], result["counts"])]
    ax.set_xticks(x, labels)
    ax.set_xlabel("source length (words)")
    ax.set_ylabel("BLEU")
    ax.set_title("BLEU by source length: the context-vector bottleneck")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot(result: dict[str, Any], path: str) -> None:
    """:func:`draw` saved to ``path``."""
    plots.save(draw(result), path)
