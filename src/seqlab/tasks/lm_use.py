"""Using a trained language model: evaluate a file, generate text."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from seqlab.data.io import read_text
from seqlab.data.vocab import EOS, UNK
from seqlab.decode.sampling import generate
from seqlab.errors import SeqlabError
from seqlab.tasks.lm import LanguageModelTask, evaluate_stream


def evaluate_file(task: LanguageModelTask, model, path: str, encoding: str = "utf-8") -> dict:
    """Loss (nats/token), perplexity and bits per token (per char or per word) on a file."""
    ids = task.encode(read_text(path, encoding, what="evaluation text"))
    if ids.numel() < 2:
        raise SeqlabError(f"{path}: needs at least 2 tokens to evaluate, found {ids.numel()}")
    metrics = evaluate_stream(model, ids, 16, task.config.data.bptt)
    metrics["unk_rate"] = float((ids == task.vocab.stoi[UNK]).float().mean())
    return metrics


def prime_ids(task: LanguageModelTask, prime: str) -> torch.Tensor:
    """Token ids for a prime text; characters outside a char model's vocabulary are an error."""
    if not prime:
        return torch.tensor([task.vocab.stoi.get("\n", task.vocab.stoi[EOS])])
    tokens = task.tokenizer.tokenize(prime)
    if task.tokenizer.kind == "char":
        unknown = sorted({t for t in tokens if t not in task.vocab})
        if unknown:
            raise SeqlabError(
                f"prime: character(s) {''.join(unknown)!r} are not in this model's vocabulary "
                f"of {len(task.vocab) - 4} characters"
            )
    return torch.tensor(task.vocab.encode(tokens), dtype=torch.long)


def generate_text(
    task: LanguageModelTask,
    model,
    prime: str = "",
    length: int = 500,
    temperature: float = 0.8,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int | None = None,
) -> Iterator[str]:
    """Yield text pieces as they are generated (the prime first)."""
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    ids = prime_ids(task, prime)
    yield prime
    tok = task.tokenizer
    eos = task.vocab.stoi[EOS]
    for i in generate(model.step, ids, length, temperature, top_k, top_p, generator=gen):
        if tok.kind == "char":
            yield task.vocab.itos[i] if i > 3 else ""
        elif i == eos:
            yield "\n"
        else:
            piece = task.vocab.itos[i]
            if tok.kind in ("bpe", "unigram"):
                yield piece.replace("\u2581", " ")
            else:
                yield " " + piece
