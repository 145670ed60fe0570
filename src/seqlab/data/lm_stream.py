"""A token stream cut into contiguous batches and BPTT windows (language modelling).

The whole corpus is one long sequence of ids. It is cut into ``B`` equal streams laid side by
side, and each training batch is the next window of ``bptt`` steps of every stream::

    corpus  a b c d e f g h i j k l m n o p q r s t u v w x      (24 tokens, B = 4)

    streams (B, N):   a b c d e f        window 0 = columns 0..2 (bptt = 3)
                      g h i j k l        window 1 = columns 3..5
                      m n o p q r
                      s t u v w x

    window 0:  input a b c  target b c d   (targets are the inputs shifted by one)

Because stream ``j`` of window ``k+1`` continues stream ``j`` of window ``k``, the hidden state
is carried from one window to the next, and detached so backpropagation stops at the window
edge (truncated BPTT). The last target of a window is the first input of the next.
"""

from __future__ import annotations

import torch
from torch import Tensor


def batchify(ids: Tensor, num_streams: int) -> Tensor:
    """Cut a 1-D id tensor into ``num_streams`` contiguous rows: (num_streams, N).

    The tail that does not fill a whole column is dropped (fewer than ``num_streams`` tokens).
    """
    n = ids.numel() // num_streams
    return ids[: n * num_streams].view(num_streams, n)


class LMStream:
    """BPTT windows over a batchified stream.

    Args:
        ids: (L,) token ids of the whole corpus.
        batch_size: number of parallel streams B.
        bptt: window length T (the last window may be shorter).
    """

    def __init__(self, ids: Tensor, batch_size: int, bptt: int):
        self.data = batchify(ids.long(), batch_size)  # (B, N)
        self.bptt = bptt
        self.batch_size = batch_size

    def __len__(self) -> int:
        n = self.data.size(1) - 1  # the last column only serves as a target
        return max(0, (n + self.bptt - 1) // self.bptt)

    def window(self, index: int, rows: slice | None = None) -> tuple[Tensor, Tensor]:
        """Window ``index``: inputs and targets, each (B, T) (or the ``rows`` subset of streams)."""
        start = index * self.bptt
        length = min(self.bptt, self.data.size(1) - 1 - start)
        if length <= 0:
            raise IndexError(f"window {index} is past the end ({len(self)} windows)")
        data = self.data if rows is None else self.data[rows]
        return data[:, start : start + length], data[:, start + 1 : start + 1 + length]

    def num_tokens(self) -> int:
        """Number of predicted tokens in one pass."""
        return self.data.size(0) * (self.data.size(1) - 1)


def stream_rows(batch_size: int, rank: int, world_size: int) -> slice:
    """The streams (rows) a DDP rank owns: an equal, contiguous share of the global batch."""
    if batch_size % world_size:
        raise ValueError(f"batch size {batch_size} is not divisible by {world_size} processes")
    per = batch_size // world_size
    return slice(rank * per, (rank + 1) * per)


def as_tensor(ids: list[int]) -> Tensor:
    return torch.tensor(ids, dtype=torch.long)


def split_text(text: str, fraction: float, by_lines: bool) -> tuple[str, str]:
    """Hold out the last ``fraction`` of ``text`` (by characters or whole lines)."""
    if fraction == 0:
        return text, ""
    if not by_lines:
        cut = int(len(text) * (1 - fraction))
        return text[:cut], text[cut:]
    lines = text.splitlines(keepends=True)
    cut = int(len(lines) * (1 - fraction))
    return "".join(lines[:cut]), "".join(lines[cut:])
