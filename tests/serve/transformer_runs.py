"""Tiny trained Transformers to serve beside the tiny recurrent runs: a TransformerLM on the lm
run's vocabulary and an encoder-decoder Transformer on the s2s run's vocabularies, each
trained for a few Adam steps on the same data, and served through those runs' tasks."""

from __future__ import annotations

import torch
from tests.analysis.transformer_pair import tiny_pair
from tests.conftest import PAIRS

from seqlab.data.parallel import make_batch
from seqlab.models.transformer_lm import TransformerLM
from seqlab.nn.transformer_block import BlockShape
from seqlab.serve.registry import ServedModel

TEXT = "the quick brown fox jumps over the lazy dog.\n"


def _train_lm(task) -> TransformerLM:
    torch.manual_seed(0)
    model = TransformerLM(len(task.vocab), BlockShape(16, 2, 32), num_layers=2, max_len=128)
    ids = task.encode(TEXT * 3)[:97].unsqueeze(0)  # (1, T + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(40):
        nll, _ = model(ids[:, :-1], targets=ids[:, 1:])  # (1, T)
        optimizer.zero_grad()
        nll.mean().backward()
        optimizer.step()
    return model.eval()


def _train_pair(task):
    model = tiny_pair(len(task.src_vocab), len(task.tgt_vocab)).train()
    batch = make_batch([(task.src_ids(s), task.tgt_ids(t)) for s, t in PAIRS])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(60):
        state, loss = model.start(batch.src, batch.src_lengths), 0.0
        for t in range(batch.tgt_in.shape[1]):
            logits, state = model.step(batch.tgt_in[:, t], state)  # (B, V)
            loss = loss + torch.nn.functional.cross_entropy(logits, batch.tgt_out[:, t])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def transformer_models(loaded: dict[str, ServedModel]) -> dict[str, ServedModel]:
    """{"tlm": a Transformer language model, "ts2s": an encoder-decoder Transformer}."""
    lm, s2s = loaded["lm"], loaded["s2s"]
    return {
        "tlm": ServedModel("tlm", lm.run, lm.task, _train_lm(lm.task)),
        "ts2s": ServedModel("ts2s", s2s.run, s2s.task, _train_pair(s2s.task)),
    }
