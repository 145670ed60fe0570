"""What a seq2seq model makes of a few fixed validation sources, for a log to show at each
validation: its greedy outputs beside the references, and the first sentence's attention."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

from seqlab.decode.strategy import Greedy
from seqlab.train.samples import SAMPLE_COUNT, AttentionMap, Samples

if TYPE_CHECKING:
    from seqlab.tasks.seq2seq.task import Seq2SeqTask


def greedy_samples(task: Seq2SeqTask, model: nn.Module) -> Samples:
    """(source, output, reference) rows for the first validation pairs, and the attention
    (T, S) of the first one when the model has attention."""

    pairs = task.valid_text[:SAMPLE_COUNT]
    sources = [task.src_ids(s) for s, _ in pairs]
    hyps = [h[0] for h in task.decode(model, sources, Greedy(), attention=True)]
    rows = [(s, task.tgt_text(h.tokens), t) for (s, t), h in zip(pairs, hyps, strict=True)]
    attention = None
    if hyps and hyps[0].attention is not None:
        labels = task.src_tokens(sources[0]) + ["<eos>"]
        attention = AttentionMap(
            hyps[0].attention[:, : len(labels)].float().cpu().numpy(),  # (T, S)
            source=labels,
            output=task.tgt_tokens(hyps[0].tokens) + (["<eos>"] if hyps[0].finished else []),
        )
    return Samples(("source", "output", "reference"), rows, attention)
