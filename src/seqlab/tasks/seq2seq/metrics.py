"""Validation metrics of a seq2seq model: teacher-forced loss, and corpus BLEU of free-running
output. Their gap is the exposure bias of training on references and testing on predictions."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.data.parallel import make_batch
from seqlab.data.vocab import PAD_ID
from seqlab.tasks.options import Evaluation


@torch.no_grad()
def teacher_forced_loss(
    model: nn.Module, pairs: list[tuple[list[int], list[int]]], batch_size: int
) -> dict[str, float]:
    """Mean cross-entropy per target token (nats; <eos> included) and perplexity."""
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for start in range(0, len(pairs), batch_size):
        batch = make_batch(pairs[start : start + batch_size])
        target = batch.tgt_out.to(device)  # (B, T)
        keep = target != PAD_ID
        src, lengths = batch.src.to(device), batch.src_lengths.to(device)
        logits, _ = model(src, lengths, batch.tgt_in.to(device), keep=keep)  # (N, V)
        total += F.cross_entropy(logits.float(), target[keep], reduction="sum").item()
        count += batch.num_tokens
    loss = total / max(1, count)
    return {"loss": loss, "ppl": math.exp(min(loss, 50)), "tokens": count}


def corpus_bleu(hyps: list[str], refs: list[str], lowercase: bool = False) -> float:
    """sacrebleu corpus BLEU on detokenized text; ``lowercase`` the references when the
    model's target side is lowercased."""
    import sacrebleu

    if lowercase:
        refs = [r.lower() for r in refs]
    return float(sacrebleu.corpus_bleu(hyps, [refs]).score)


def bleu_and_chrf(hyps: list[str], refs: list[str], beam: int) -> Evaluation:
    """sacrebleu corpus BLEU and chrF of detokenized ``hyps`` against ``refs`` (decoded with
    beam size ``beam``), with their signatures."""
    import sacrebleu

    bleu, chrf = sacrebleu.metrics.BLEU(), sacrebleu.metrics.CHRF()
    b, c = bleu.corpus_score(hyps, [refs]), chrf.corpus_score(hyps, [refs])
    report = "\n".join(
        [
            f"sentences   {len(hyps):,}  (beam {beam})",
            f"BLEU        {b.score:.2f}  {bleu.get_signature()}",
            f"chrF        {c.score:.2f}  {chrf.get_signature()}",
        ]
    )
    metrics = {
        "bleu": b.score,
        "chrf": c.score,
        "sentences": len(hyps),
        "bleu_signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
    }
    return Evaluation(metrics, report)
