"""POST /v1/attention: every layer's and every head's attention weights of a Transformer run,
with the tokens as labels (the maps are :mod:`seqlab.analysis.attention_maps`'s)::

    lm        text -> tokens (T)                              self    (N, h, T, T)
    seq2seq   text -> source ids and <eos> (S)                source  (N, h, S, S)
              target (or the greedy output) -> the decoder    target  (N, h, T, T)
              inputs: <sos>, then the output tokens (T)       cross   (N, h, T, S)

N layers, h heads. A request is one row: its lengths are its own, so a batch maps its requests
one after another. Each side is at most :data:`~seqlab.serve.schemas.MAX_ATTENTION_TOKENS`
tokens (and within a language model's ``max_len``): the answer grows as N h T S.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from seqlab.analysis.attention_maps import lm_attention, seq2seq_attention
from seqlab.data.parallel import with_eos
from seqlab.data.vocab import EOS_ID, SOS_ID
from seqlab.decode.strategy import Greedy
from seqlab.serve import schemas
from seqlab.serve.batcher import Job
from seqlab.serve.errors import ClientError
from seqlab.serve.registry import ServedModel


@dataclass(frozen=True)
class Reading:
    """One request's ids: text (an lm's tokens, or a source with <eos>) and, for seq2seq, the
    target's ids (None: decode greedily first); truncated: a side was cut to the limit."""

    text: list[int]
    target: list[int] | None
    truncated: bool = False


def _fit(ids: list[int], limit: int, field: str, truncate: bool) -> list[int]:
    """ids, or their first ``limit`` with ``truncate``; 422 naming the field otherwise."""
    if not ids:
        raise ClientError(422, f"{field}: no tokens to read; send some text")
    if len(ids) > limit and not truncate:
        raise ClientError(
            422,
            f"{field}: {len(ids)} tokens, over the attention maps' limit of {limit}; shorten "
            "it or send truncate: true",
        )
    return ids[:limit]


def attention_work(served: ServedModel, req: schemas.AttentionRequest) -> list[Reading]:
    """The request's ids, checked before any batching (422 naming the field)."""
    task, limit, cut = served.task, schemas.MAX_ATTENTION_TOKENS, req.truncate
    if task.name == "lm":
        limit = min(limit, getattr(served.model, "max_len", limit))
        ids = task.encode(req.text).tolist()
        return [Reading(_fit(ids, limit, "text", cut), None, len(ids) > limit)]
    source = with_eos(task.src_ids(req.text))
    if task.config.data.max_src_len:  # the model's own limit, and <eos>
        limit = min(limit, task.config.data.max_src_len + 1)
    fitted = _fit(source, limit, "text", cut)
    if fitted[-1] != EOS_ID:  # a cut source still ends as the encoder was trained to read it
        fitted[-1] = EOS_ID
    truncated, target = len(fitted) < len(source), None
    if req.target is not None:
        full = [SOS_ID, *task.tgt_ids(req.target)]
        target = _fit(full, schemas.MAX_ATTENTION_TOKENS, "target", cut)
        truncated = truncated or len(target) < len(full)
    return [Reading(fitted, target, truncated)]


@dataclass(frozen=True)
class AttentionKey:
    def run(self, served: ServedModel, jobs: list[Job]) -> list[schemas.AttentionResponse]:
        maps = _lm_maps if served.task.name == "lm" else _seq2seq_maps
        return [
            schemas.AttentionResponse(
                model=served.name, maps=maps(served, job.rows[0]), truncated=job.rows[0].truncated
            )
            for job in jobs
        ]


def _lm_maps(served: ServedModel, row: Reading) -> list[schemas.AttentionMap]:
    device = next(served.model.parameters()).device
    weights = lm_attention(served.model, torch.tensor([row.text], device=device))["self"]
    labels = [served.task.vocab.itos[i] for i in row.text]
    return [_map("self", labels, labels, weights[0])]


def _seq2seq_maps(served: ServedModel, row: Reading) -> list[schemas.AttentionMap]:
    task, model = served.task, served.model
    target = row.target
    if target is None:  # the greedy output, within the limit (decode adds no <sos>, no <eos>)
        limit = schemas.MAX_ATTENTION_TOKENS - 1
        best = task.decode(model, [row.text[:-1]], Greedy(), batch_size=1, max_length=limit)
        target = [SOS_ID, *best[0][0].tokens]
    device = next(model.parameters()).device
    src = torch.tensor([row.text], device=device)  # (1, S)
    lengths = torch.tensor([len(row.text)], device=device)  # (1,)
    maps = seq2seq_attention(model, src, lengths, torch.tensor([target], device=device))
    source, inputs = task.src_tokens(row.text), task.tgt_tokens(target)
    return [
        _map("source", source, source, maps["source"][0]),
        _map("target", inputs, inputs, maps["target"][0]),
        _map("cross", inputs, source, maps["cross"][0]),
    ]


def _map(kind: str, queries: list[str], keys: list[str], weights) -> schemas.AttentionMap:
    """weights (N, h, T, S) -> the response's map, labelled."""
    return schemas.AttentionMap(
        kind=kind, queries=queries, keys=keys, weights=weights.float().tolist()
    )
