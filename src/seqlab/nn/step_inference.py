"""A faster one-step recurrence for token-by-token inference (decoding at small batches).

At batch 1 a step is bound by reading weights, and by the calls around the arithmetic, not by
the arithmetic. Four things help:

- when the first layer's input starts with an embedding row, ``W_ih[:, :E] · e(token) + b`` is
  looked up in a precomputed table (V, G*H) instead of multiplied at every step (skipped when
  the table would pass ``table_limit`` bytes);
- every other weight is stored transposed and contiguous, so each product is one ``addmm``
  over memory in the order it is read;
- the two biases of an LSTM or RNN only ever add up, so they are summed once;
- a one-layer LSTM (the usual decoder and language model) keeps its state (1, B, H), with no
  per-layer split and stack; when its W_hh is larger than the L2 cache it reads W_hh as four gate
  blocks, in the opposite order at every other step, so that each step starts on the blocks the
  previous one left in cache.

The gate equations are those of :mod:`seqlab.nn.cells`. The tensors are rebuilt whenever a
weight changes (each parameter's in-place version counter is part of the key), so training or
loading weights never leaves them stale. Inference only: no autograd. The results equal
:meth:`Recurrent.step` to float rounding.

Checking that key costs a walk over the parameters, at every step. Inside :func:`fixed_weights`
(one decoding call, whose weights cannot change under it) a prepared step is checked on its
first use only: :func:`checked` says whether it already was.
"""

from __future__ import annotations

import contextvars
import functools
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import Tensor

from seqlab.nn.recurrent import Recurrent, State

TABLE_LIMIT = 64 * 2**20  # bytes: above this the first layer multiplies the embedding row

_CALL: contextvars.ContextVar[object | None] = contextvars.ContextVar("fixed_weights", default=None)


@contextmanager
def fixed_weights() -> Iterator[None]:
    """A block in which no weight changes, nor the grad or autocast mode: one decoding call.
    Prepared steps (and the checks that choose them) are then verified once, not per step."""
    token = _CALL.set(object())
    try:
        yield
    finally:
        _CALL.reset(token)


def checked(prepared: object | None) -> bool:
    """True when ``prepared`` (a cached prepared step) was verified inside the current
    :func:`fixed_weights` block; False outside any block."""
    call = _CALL.get()
    return call is not None and prepared is not None and prepared.__dict__.get("call") is call


def mark_checked(prepared: object) -> None:
    """Record that ``prepared`` was verified inside the current block (if any)."""
    prepared.__dict__["call"] = _CALL.get()


def parameter_slots(module: torch.nn.Module) -> list[tuple[torch.nn.Module, str]]:
    """(submodule, name) of every parameter of ``module``: where each lives, so that reading
    them again (:func:`slot_values`) skips the module walk."""
    return [(m, n) for m in module.modules() for n, p in m._parameters.items() if p is not None]


def slot_values(slots: list[tuple[torch.nn.Module, str]]) -> list[Tensor]:
    """The parameters now held at ``slots`` (a replaced parameter shows as its new tensor)."""
    return [m._parameters[n] for m, n in slots]


def transposed(linear: torch.nn.Linear) -> tuple[Tensor, Tensor]:
    """(W^T contiguous (in, out), bias or zeros (out,)) of ``linear``, outside autograd: a
    product with them is one ``addmm`` over memory in the order it is read, and a parameter's
    autograd bookkeeping, which costs even under inference mode, is left out."""
    w = linear.weight.detach()
    bias = linear.bias.detach() if linear.bias is not None else w.new_zeros(w.shape[0])
    return w.t().contiguous(), bias


def parameters_key(params: list[Tensor]) -> tuple:
    """Identity, in-place version and storage of each tensor: a changed value, a replaced
    parameter or a ``.data`` swap (``.to(dtype)``) each change the key."""
    key = []
    for p in params:
        try:
            version = p._version
        except RuntimeError:  # an inference tensor: never trained
            version = -1
        key.append((id(p), version, p.data_ptr()))
    return tuple(key)


class StepInference:
    """``step(x, state, tokens)`` of a unidirectional :class:`Recurrent`, from prepared weights.

    With ``embedding`` (V, E), the first layer's input is ``[embedding[tokens]; x]``: the
    embedding part comes from ``tokens`` (B,), and ``x`` (B, I - E) is the rest (None if I = E).
    """

    def __init__(self, rnn: Recurrent, embedding: Tensor | None = None, table_limit=TABLE_LIMIT):
        if rnn.bidirectional:
            raise ValueError("StepInference needs a unidirectional Recurrent")
        self.owner = weakref.ref(rnn)
        self.mode, self.nonlinearity = rnn.mode, rnn.nonlinearity
        self.hidden_size = rnn.hidden_size
        self.slots = parameter_slots(rnn)
        self.key = parameters_key(self._current(embedding))
        with torch.no_grad():
            self.layers = [self._prepare(rnn, layer) for layer in range(rnn.num_layers)]
            self.one_lstm = self.mode == "lstm" and rnn.num_layers == 1
            self.gate_blocks = self._gate_blocks() if self.one_lstm else None
            self.zigzag, self.flip = ((0, 1, 2, 3), (3, 2, 1, 0)), 0
            if self.gate_blocks is not None:
                self.step = self._one_lstm_zigzag  # W_hh then lives only in its blocks
                self.layers[0][1] = None
            elif self.one_lstm:
                self.step = self._one_lstm
            self.table, self.embedding = None, embedding
            if embedding is not None:
                self.table = self._table(embedding, table_limit)

    def _gate_blocks(self) -> list[Tensor] | None:
        """W_hh^T as four contiguous (H, H) gate blocks, when it is larger than the L2 cache
        (:func:`l2_bytes`) and so streams from L3 or memory at every step; else None."""
        w_hh_t = self.layers[0][1]  # (H, 4H)
        size = w_hh_t.numel() * w_hh_t.element_size()
        if w_hh_t.device.type != "cpu" or not 0 < l2_bytes() < size:
            return None
        return [block.contiguous() for block in w_hh_t.chunk(4, 1)]

    def _current(self, embedding: Tensor | None) -> list[Tensor]:
        own = slot_values(self.slots)
        return own if embedding is None else [embedding, *own]

    def _prepare(self, rnn: Recurrent, layer: int) -> list[Tensor]:
        """[W_ih^T (I, G*H), W_hh^T (H, G*H), input-side bias, hidden-side bias (G*H,)]."""
        w_ih, w_hh, b_ih, b_hh = (None if t is None else t.detach() for t in rnn.weights(layer))
        zeros = torch.zeros(w_ih.shape[0], dtype=w_ih.dtype, device=w_ih.device)
        b_ih = zeros if b_ih is None else b_ih
        b_hh = zeros if b_hh is None else b_hh
        if self.mode != "gru":  # the two biases only ever add up: once, on the input side
            b_ih, b_hh = b_ih + b_hh, zeros
        return [w_ih.t().contiguous(), w_hh.t().contiguous(), b_ih, b_hh]

    def _table(self, embedding: Tensor, limit: int) -> Tensor | None:
        """(V, G*H) = embedding @ W_ih[:, :E]^T + input bias; layer 0 keeps the rest of W_ih."""
        w_ih_t, _, b_in, _ = self.layers[0]
        vocab, e = embedding.shape
        if vocab * w_ih_t.shape[1] * w_ih_t.element_size() > limit:
            return None
        self.layers[0][0] = w_ih_t[e:].contiguous() if w_ih_t.shape[0] > e else None
        return torch.addmm(b_in, embedding, w_ih_t[:e])

    def fresh(self, rnn: Recurrent, embedding: Tensor | None = None) -> bool:
        if self.owner() is not rnn or (embedding is None) != (self.embedding is None):
            return False
        return self.key == parameters_key(self._current(embedding))

    def _first_input(self, x: Tensor | None, tokens: Tensor | None) -> Tensor:
        """Layer 0's W_ih · input + bias, (B, G*H)."""
        w_ih_t, _, b_in, _ = self.layers[0]
        if self.table is not None:  # the common case first: a table row, plus x's share
            gi = self.table.index_select(0, tokens)
            return gi if w_ih_t is None else torch.addmm(gi, x, w_ih_t)
        if self.embedding is None:
            return torch.addmm(b_in, x, w_ih_t)
        e = self.embedding.index_select(0, tokens)  # too large to tabulate: (B, E) multiplied
        x = e if x is None else torch.cat([e, x], -1)
        return torch.addmm(b_in, x, w_ih_t)

    def step(
        self, x: Tensor | None, state: State | None, tokens: Tensor | None = None
    ) -> tuple[Tensor, State]:
        """x (B, I) (or the non-embedding part), state (L, B, H) or (h, c) or None (zeros)
        -> (top h (B, H), new state). Call it with autograd off (no_grad or inference_mode).

        At batch 1 each Python call costs about what a small kernel does, so the layers run
        inline, with the state's rows read once (``unbind``) rather than per layer.
        """
        if state is None:
            state = self._zeros((tokens if x is None else x).shape[0])
        lstm = self.mode == "lstm"
        hs_in = (state[0] if lstm else state).unbind(0)  # L x (B, H)
        cs_in = state[1].unbind(0) if lstm else None
        hs, cs = [], []
        gi = self._first_input(x, tokens)  # (B, G*H)
        for layer, (w_ih_t, w_hh_t, b_in, b_hid) in enumerate(self.layers):
            if layer:
                gi = torch.addmm(b_in, x, w_ih_t)
            if lstm:
                x, c = _lstm(torch.addmm(gi, hs_in[layer], w_hh_t), cs_in[layer])
                cs.append(c)
            elif self.mode == "gru":
                h = hs_in[layer]
                x = _gru(gi, torch.addmm(b_hid, h, w_hh_t), h)
            else:
                pre = torch.addmm(gi, hs_in[layer], w_hh_t)
                x = torch.tanh(pre) if self.nonlinearity == "tanh" else torch.relu(pre)
            hs.append(x)
        h = _layers(hs)  # (L, B, H)
        return x, ((h, _layers(cs)) if lstm else h)

    def _one_lstm(self, x: Tensor | None, state: State | None, tokens: Tensor | None = None):
        """:meth:`step` of a one-layer LSTM (the common decoder and language model), which
        replaces it on such an instance (a call less per step). Its state is kept (1, B, H): the
        gate products broadcast against c (1, B, H), so the new h and c come out in the state's
        own shape, with no per-layer split and stack (the same numbers)."""
        h, c = self._zeros(self._batch(x, tokens)) if state is None else state
        gates = torch.addmm(self._first_input(x, tokens), h[0], self.layers[0][1])  # (B, 4H)
        h, c = _lstm(gates, c)  # (1, B, H) each
        return h[0], (h, c)

    def _one_lstm_zigzag(self, x: Tensor | None, state: State | None, tokens: Tensor | None = None):
        """:meth:`_one_lstm` with W_hh larger than the L2 cache: its four gate blocks are read
        in turn, in the opposite order at every other step, so each step starts with the blocks
        the last one read, still in cache. Each gate's product is its columns of the whole
        one; the order of the blocks changes no number (tokens are identical on the machines
        measured, and equal to float rounding by test)."""
        h, c = self._zeros(self._batch(x, tokens)) if state is None else state
        gi, h_in, n, blocks = self._first_input(x, tokens), h[0], c.shape[-1], self.gate_blocks
        pre: list[Tensor] = [gi] * 4
        for k in self.zigzag[self.flip]:
            pre[k] = torch.addmm(gi.narrow(1, k * n, n), h_in, blocks[k])  # (B, H)
        self.flip ^= 1
        i, f, g, o = pre
        c = torch.addcmul(torch.sigmoid(f) * c, torch.sigmoid(i), torch.tanh(g))
        h = torch.sigmoid(o) * torch.tanh(c)  # (1, B, H) each
        return h[0], (h, c)

    @staticmethod
    def _batch(x: Tensor | None, tokens: Tensor | None) -> int:
        return (tokens if x is None else x).shape[0]

    def _zeros(self, batch: int) -> State:
        """The zero state (L, B, H), or (h, c) of them."""
        b = self.layers[0][2]  # the input-side bias (G*H,): this step's dtype and device
        size = (len(self.layers), batch, self.hidden_size)
        h = torch.zeros(size, dtype=b.dtype, device=b.device)
        return (h, torch.zeros_like(h)) if self.mode == "lstm" else h


@functools.cache
def l2_bytes() -> int:
    """This CPU's L2 cache per core in bytes (Linux sysfs), or 0 where it cannot be read."""
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip().upper()
        except OSError:
            continue
        if level == "2" and kind in ("Unified", "Data") and size[:-1].isdigit():
            scale = {"K": 2**10, "M": 2**20}.get(size[-1], 0)
            return int(size[:-1]) * scale
    return 0


def _layers(per_layer: list[Tensor]) -> Tensor:
    """L tensors (B, H) -> (L, B, H); one layer is a view, not a copy."""
    return per_layer[0].unsqueeze(0) if len(per_layer) == 1 else torch.stack(per_layer)


def _lstm(gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    """gates (B, 4H) in torch's order i, f, g, o, c (B, H) or (1, B, H) -> (h, c), each
    shaped as c (the gates broadcast)."""
    n = c.shape[-1]
    i, f, _, o = torch.sigmoid(gates).chunk(4, 1)  # over all 4H: fewer calls than one per gate
    c = torch.addcmul(f * c, i, torch.tanh(gates[:, 2 * n : 3 * n]))
    return o * torch.tanh(c), c


def _gru(gi: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    """gi = W_i x + b_i, gh = W_h h + b_h, each (B, 3H) in torch's order r, z, n -> h (B, H)."""
    n = h.shape[-1]
    rz = torch.sigmoid(gi[:, : 2 * n] + gh[:, : 2 * n])
    r, z = rz[:, :n], rz[:, n:]
    candidate = torch.tanh(torch.addcmul(gi[:, 2 * n :], r, gh[:, 2 * n :]))
    return torch.lerp(candidate, h, z)  # (1 - z) * n + z * h
