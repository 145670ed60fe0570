"""What a seq2seq model makes of a few fixed validation sources, for a log to show at each
validation: its greedy outputs beside the references, and the first sentence's attention."""

from __future__ import annotations

from typing import Any, Protocol

from torch import nn

from seqlab.decode.search import Hypothesis
from seqlab.decode.strategy import Greedy, Strategy
from seqlab.train.samples import SAMPLE_COUNT, AttentionMap, Samples


class PairTask(Protocol):
    """What the samples need of a seq2seq task."""

    valid_text: list[tuple[str, str]]

    def src_ids(self, text: str) -> list[int]: ...
    def tgt_text(self, ids: list[int]) -> str: ...
    def src_tokens(self, ids: list[int]) -> list[str]: ...
    def tgt_tokens(self, ids: list[int]) -> list[str]: ...
    def decode(
        self, model: nn.Module, sources: list[list[int]], strategy: Strategy, **options: Any
    ) -> list[list[Hypothesis]]: ...


def greedy_samples(task: PairTask, model: nn.Module) -> Samples:
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
