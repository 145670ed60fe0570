"""Parallel text: (source, target) sentence pairs, and how they become padded batches.

Two layouts are read:

- two aligned files, plain or ``.gz``, line i of one translating line i of the other
  (Multi30k: ``train.en.gz`` / ``train.fr.gz``); unequal line counts are an error;
- one TSV file with the two sides in two columns (Tatoeba's ``English<TAB>French``).

A pair with an empty side is dropped and counted; so is a pair longer than a length limit, once
tokenized. Every reader returns :class:`PairStats` so the caller can say what was removed.

Batches: sequences of ids padded with ``PAD_ID`` on the right, with their true lengths, so the
encoder can pack them and attention can mask the padding::

    src  [[ 5  9  7  3]      lengths [4, 2]
          [ 8  3  0  0]]     (3 = <eos>, 0 = <pad>)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from seqlab.data.io import iter_lines
from seqlab.data.vocab import EOS_ID, PAD_ID, SOS_ID
from seqlab.errors import SeqlabError

Pair = tuple[str, str]


@dataclass
class PairStats:
    """What a reader kept and dropped."""

    read: int = 0
    empty: int = 0  # pairs with an empty (or all-whitespace) side
    too_long: int = 0  # pairs over the length limit (counted by :func:`filter_lengths`)
    held_out: int = 0  # pairs set aside for validation by a random split
    excluded: int = 0  # pairs left out because the config lists them

    @property
    def kept(self) -> int:
        return self.read - self.empty - self.too_long - self.held_out - self.excluded

    def describe(self, what: str) -> str:
        held = f"{self.held_out:,} held out for validation, " if self.held_out else ""
        excluded = f"{self.excluded:,} excluded as listed, " if self.excluded else ""
        return (
            f"{what}: {self.read:,} pairs read, {self.empty:,} with an empty side dropped, "
            f"{excluded}{held}{self.too_long:,} over the length limit dropped, {self.kept:,} kept"
        )


def _keep_nonempty(pairs: list[Pair], stats: PairStats) -> list[Pair]:
    kept = [(s.strip(), t.strip()) for s, t in pairs if s.strip() and t.strip()]
    stats.read = len(pairs)
    stats.empty = len(pairs) - len(kept)
    return kept


def read_aligned_lines(
    src_path: str, tgt_path: str, encoding: str = "utf-8", target: str = "target"
) -> tuple[list[str], list[str]]:
    """Every line of two files that must align line by line (plain or .gz): sources and their
    targets (or references: ``target`` names the second file in messages)."""
    src = list(iter_lines(src_path, encoding, what="source file"))
    tgt = list(iter_lines(tgt_path, encoding, what=f"{target} file"))
    if len(src) != len(tgt):
        raise SeqlabError(
            f"{src_path} has {len(src):,} lines but {tgt_path} has {len(tgt):,}; "
            "they must be aligned line by line"
        )
    return src, tgt


def read_aligned(
    src_path: str, tgt_path: str, encoding: str = "utf-8"
) -> tuple[list[Pair], PairStats]:
    """Pairs from two line-aligned files (plain or .gz); pairs with an empty side dropped."""
    src, tgt = read_aligned_lines(src_path, tgt_path, encoding)
    stats = PairStats()
    return _keep_nonempty(list(zip(src, tgt, strict=True)), stats), stats


def read_tsv(
    path: str, encoding: str = "utf-8", columns: Sequence[int] = (0, 1)
) -> tuple[list[Pair], PairStats]:
    """Pairs from the ``columns`` (source, target) of a tab-separated file."""
    src_col, tgt_col = columns
    need = max(src_col, tgt_col) + 1
    pairs = []
    for lineno, line in enumerate(iter_lines(path, encoding, what="TSV file"), start=1):
        if not line.strip():
            pairs.append(("", ""))
            continue
        fields = line.split("\t")
        if len(fields) < need:
            raise SeqlabError(
                f"{path}:{lineno}: {len(fields)} tab-separated column(s), expected at least "
                f"{need} (source column {src_col}, target column {tgt_col})"
            )
        pairs.append((fields[src_col], fields[tgt_col]))
    stats = PairStats()
    return _keep_nonempty(pairs, stats), stats


def split_pairs(pairs: list, fraction: float, seed: int) -> tuple[list, list]:
    """A seeded random split: (train, held-out ``fraction``); the same seed, the same split."""
    if fraction <= 0:
        return list(pairs), []
    order = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed)).tolist()
    cut = len(pairs) - max(1, int(round(len(pairs) * fraction)))
    return [pairs[i] for i in order[:cut]], [pairs[i] for i in order[cut:]]


def sample_pairs(pairs: list, n: int, seed: int) -> list:
    """``n`` pairs drawn without replacement, in a seeded random order."""
    order = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed)).tolist()
    return [pairs[i] for i in order[:n]]


def fits(src: Sequence, tgt: Sequence, max_src: int, max_tgt: int) -> bool:
    """True if both sides are within their limits (0 = no limit)."""
    return (not max_src or len(src) <= max_src) and (not max_tgt or len(tgt) <= max_tgt)


def filter_lengths(
    pairs: list[tuple[list[int], list[int]]], max_src: int, max_tgt: int, stats: PairStats
) -> list[tuple[list[int], list[int]]]:
    """Drop pairs with more than ``max_src`` / ``max_tgt`` tokens (0 = no limit); counted."""
    kept = [(s, t) for s, t in pairs if fits(s, t, max_src, max_tgt)]
    stats.too_long += len(pairs) - len(kept)
    return kept


# ----------------------------------------------------------------------------- batching


def pad(seqs: Sequence[Sequence[int]]) -> tuple[Tensor, Tensor]:
    """Right-pad id lists: -> ids (B, T) with PAD_ID, lengths (B,)."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    out = torch.full((len(seqs), max(1, int(lengths.max()))), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out, lengths


@dataclass
class PairBatch:
    """Id pairs: ``src`` ends with <eos>; ``tgt_in`` = <sos> y; ``tgt_out`` = y <eos>"""

    src: Tensor  # (B, S)
    src_lengths: Tensor  # (B,)
    tgt_in: Tensor  # (B, T)
    tgt_out: Tensor  # (B, T)
    teacher_forcing: float = 1.0

    @property
    def num_tokens(self) -> int:
        return int((self.tgt_out != PAD_ID).sum())


def with_eos(ids: Sequence[int]) -> list[int]:
    """A source sentence's ids as the encoder reads them: <eos> appended."""
    return list(ids) + [EOS_ID]


def make_batch(
    pairs: Sequence[tuple[list[int], list[int]]], teacher_forcing: float = 1.0
) -> PairBatch:
    src, src_lengths = pad([with_eos(s) for s, _ in pairs])
    tgt_in, _ = pad([[SOS_ID] + list(t) for _, t in pairs])
    tgt_out, _ = pad([list(t) + [EOS_ID] for _, t in pairs])
    return PairBatch(src, src_lengths, tgt_in, tgt_out, teacher_forcing)
