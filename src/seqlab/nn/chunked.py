"""Inference over very long sequences, a chunk of the time axis at a time.

torch's fused kernels hold every timestep's intermediates at once: the input projection of all
T steps (G*H floats each), and one output tensor per step before they are joined. On a line of a
million tokens that is a gigabyte. Read in chunks of ``chunk_steps`` steps with the state carried
across, a layer holds one chunk's intermediates instead::

    forward:   [c0] -> [c1] -> [c2]        the state leaves c0 and starts c1
    backward:  [c0] <- [c1] <- [c2]        the chunks are read from the end

A bidirectional layer runs its two directions as two sweeps. Layer l+1 reads layer l's whole
output (both directions), so lower layers' outputs (B, T, D*H) are kept; the top layer's outputs
go to a :class:`Sink` chunk by chunk: kept whole (:class:`KeepOutputs`, for a tagger) or pooled
as they pass (:class:`RunningMean`, :class:`RunningMax`), or dropped when only the final state
is read. The first layer's input comes through a :data:`Read`, so a classifier embeds each chunk
as it reads it and holds no (B, T, ...) tensor but the ids.

Each sequence still stops at its length, and the backward direction starts at its last valid
token, as packing does. The results equal :meth:`Recurrent.forward` up to float rounding: the
kernels' matrix products round differently for different batch shapes (oneDNN's LSTM does), so
the last bit can change, as it does with the batch size today.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from seqlab.nn.recurrent import Recurrent, State

Read = Callable[[Tensor, slice], Tensor]
"""``read(rows, steps)``: batch rows ``rows`` (R,), timesteps ``steps`` of a layer's input
(B, T, I) as (R, t, I), so the input itself (an embedding, say) can be made a chunk at a time."""

CHUNK_STEPS = 4096
"""Timesteps per chunk: long enough that the per-chunk overhead vanishes, short enough that a
chunk's intermediates stay a few megabytes."""


def chunking_applies(rnn: Recurrent, x: Tensor, chunk_steps: int) -> bool:
    """Whether ``x`` ((B, T) ids or (B, T, I) inputs) is run in chunks: inference (eval mode,
    no autograd, no autocast, not tracing) on CPU with the fused kernels, longer than a chunk."""
    return (
        chunk_steps > 0
        and x.shape[1] > chunk_steps
        and x.device.type == "cpu"
        and rnn.impl == "fused"
        and not rnn.training
        and not torch.is_grad_enabled()
        and not torch.is_autocast_enabled("cpu")
        and not torch.jit.is_tracing()  # an exported graph stays the plain one
    )


class Chunk(NamedTuple):
    """Where a chunk of outputs lies: from step ``start``, batch rows ``rows`` (R,), each valid
    for its first ``span`` (R,) steps, of direction ``direction`` (0 forward, 1 backward)."""

    start: int
    rows: Tensor
    span: Tensor
    direction: int

    def columns(self, hidden_size: int) -> slice:
        """This direction's features in a (..., D*H) output."""
        return slice(self.direction * hidden_size, (self.direction + 1) * hidden_size)


class Sink(Protocol):
    def take(self, chunk: Chunk, out: Tensor) -> None:
        """One chunk's outputs ``out`` (R, t, H), zero past each row's span."""


class KeepOutputs:
    """Every output, as :meth:`Recurrent.forward` returns them: ``output`` (B, T, D*H)."""

    def __init__(self, shape: tuple[int, int, int], dtype: torch.dtype):
        self.output = torch.zeros(shape, dtype=dtype)  # (B, T, D*H)

    def take(self, chunk: Chunk, out: Tensor) -> None:
        steps = slice(chunk.start, chunk.start + out.shape[1])
        self.output[chunk.rows, steps, chunk.columns(out.shape[-1])] = out


class RunningMean:
    """The mean over valid steps of the outputs, summed as they pass: (B, D*H)."""

    def __init__(self, shape: tuple[int, int], dtype: torch.dtype):
        self.total = torch.zeros(shape, dtype=dtype)  # (B, D*H)

    def take(self, chunk: Chunk, out: Tensor) -> None:
        self.total[chunk.rows, chunk.columns(out.shape[-1])] += out.sum(1)  # pads are 0

    def result(self, lengths: Tensor) -> Tensor:
        return self.total / lengths.to(self.total.device).clamp(min=1)[:, None]


class RunningMax:
    """The element-wise maximum over valid steps of the outputs: (B, D*H)."""

    def __init__(self, shape: tuple[int, int], dtype: torch.dtype):
        self.best = torch.full(shape, float("-inf"), dtype=dtype)  # (B, D*H)

    def take(self, chunk: Chunk, out: Tensor) -> None:
        cols = chunk.columns(out.shape[-1])
        pad = torch.arange(out.shape[1])[None, :] >= chunk.span[:, None]  # (R, t)
        chunk_max = out.masked_fill(pad.unsqueeze(-1), float("-inf")).amax(1)  # (R, H)
        self.best[chunk.rows, cols] = torch.maximum(self.best[chunk.rows, cols], chunk_max)

    def result(self, lengths: Tensor) -> Tensor:
        return self.best


def chunked_run(
    rnn: Recurrent, read: Read, lengths: Tensor, chunk_steps: int, *, top: Sink | None = None
) -> State:
    """Run ``rnn`` in chunks of ``chunk_steps`` steps over the input that ``read`` gives, with
    lengths (B,); the top layer's outputs go to ``top``. Returns the final state in torch's
    layout, each (L*D, B, H), as :meth:`Recurrent.forward` does."""
    lengths = lengths.cpu()
    dtype = rnn.rnn.weight_hh_l0.dtype
    finals = []  # per layer and direction: (h,) or (h, c), each (B, H)
    for layer in range(rnn.num_layers):
        last = layer == rnn.num_layers - 1
        shape = (len(lengths), int(lengths.max()), rnn.output_size)
        sink = top if last else KeepOutputs(shape, dtype)
        for direction in range(rnn.num_directions):
            sweep = _Sweep(rnn, layer, direction, chunk_steps)
            finals.append(sweep.run(read, lengths, sink))
        if isinstance(sink, KeepOutputs) and not last:
            read = _reader(sink.output)  # layer l+1 reads layer l's outputs (B, T, D*H)
    parts = tuple(torch.stack(p, dim=0) for p in zip(*finals, strict=True))  # (L*D, B, H)
    return (parts[0], parts[1]) if rnn.mode == "lstm" else parts[0]


def chunked_forward(
    rnn: Recurrent, x: Tensor, lengths: Tensor, chunk_steps: int = CHUNK_STEPS
) -> tuple[Tensor, State]:
    """:meth:`Recurrent.forward` in chunks: x (B, T, I), lengths (B,) -> output
    (B, T, D*H), zero at padded positions, and the final state."""
    keep = KeepOutputs((x.shape[0], x.shape[1], rnn.output_size), x.dtype)
    state = chunked_run(rnn, _reader(x), lengths, chunk_steps, top=keep)
    return keep.output, state


def _reader(x: Tensor) -> Read:
    return lambda rows, steps: x[rows, steps]


class _Sweep:
    """One layer, one direction, over the chunks, with torch's fused single-layer kernel."""

    def __init__(self, rnn: Recurrent, layer: int, direction: int, chunk_steps: int):
        self.rnn, self.direction, self.chunk_steps = rnn, direction, chunk_steps
        self.weights = [w for w in rnn.weights(layer, direction) if w is not None]

    def run(self, read: Read, lengths: Tensor, sink: Sink | None) -> tuple[Tensor, ...]:
        """The input from ``read``, lengths (B,) -> the final state, (h,) or (h, c), each
        (B, H)."""
        parts = 2 if self.rnn.mode == "lstm" else 1
        shape = (len(lengths), self.rnn.hidden_size)
        state = tuple(self.weights[0].new_zeros(shape) for _ in range(parts))
        starts = range(0, int(lengths.max()), self.chunk_steps)
        for start in reversed(starts) if self.direction == 1 else starts:
            span = (lengths - start).clamp(0, self.chunk_steps)  # (B,) valid steps here
            rows = span.nonzero().flatten()  # (R,) the rows that reach this chunk
            if rows.numel() == 0:
                continue
            span = span[rows]
            piece = read(rows, slice(start, start + int(span.max())))  # (R, t, I)
            out, new = self._chunk(piece, span, tuple(s[rows] for s in state))
            state = tuple(s.index_copy(0, rows, n) for s, n in zip(state, new, strict=True))
            if sink is not None:
                sink.take(Chunk(start, rows, span, self.direction), out)
        return state

    def _chunk(
        self, x: Tensor, span: Tensor, state: tuple[Tensor, ...]
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        """x (R, t, I), span (R,) >= 1 -> outputs (R, t, H), zero past each span; new state."""
        if self.direction == 1:  # right to left: each row's valid steps reversed, and back
            order = _reversal(span, x.shape[1])
            out, new = self._packed(x.gather(1, order.expand(-1, -1, x.shape[2])), span, state)
            return out.gather(1, order.expand(-1, -1, out.shape[2])), new
        return self._packed(x, span, state)

    def _packed(
        self, x: Tensor, span: Tensor, state: tuple[Tensor, ...]
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        packed = pack_padded_sequence(x, span, batch_first=True, enforce_sorted=False)
        hx = [s[packed.sorted_indices].unsqueeze(0) for s in state]  # each (1, R, H)
        # has_biases, num_layers, dropout, train, bidirectional
        flags = (self.rnn.bias, 1, 0.0, False, False)
        if self.rnn.mode == "lstm":
            data, *final = torch.lstm(packed.data, packed.batch_sizes, hx, self.weights, *flags)
        else:
            kernel = _KERNELS[self.rnn.mode, self.rnn.nonlinearity]
            data, h = kernel(packed.data, packed.batch_sizes, hx[0], self.weights, *flags)
            final = [h]
        out = PackedSequence(
            data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
        )
        output, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return output, tuple(f[0][packed.unsorted_indices] for f in final)


_KERNELS = {
    ("gru", "tanh"): torch.gru,
    ("rnn", "tanh"): torch.rnn_tanh,
    ("rnn", "relu"): torch.rnn_relu,
}


def _reversal(span: Tensor, steps: int) -> Tensor:
    """span (R,) -> indices (R, t, 1) that reverse each row's first span[r] steps and leave the
    rest in place; applying them twice is the identity."""
    t = torch.arange(steps)[None, :]  # (1, t)
    flipped = span[:, None] - 1 - t  # (R, t)
    return torch.where(t < span[:, None], flipped, t).unsqueeze(-1)
