"""One recurrent layer, two implementations: torch's fused kernels or the explicit equations.

``Recurrent`` owns exactly one ``torch.nn.RNN``, ``LSTM`` or ``GRU`` (``batch_first=True``) as
``self.rnn``, so its parameters and ``state_dict`` are torch's own (``rnn.weight_ih_l0``,
``rnn.weight_hh_l0_reverse``, ...). ``impl`` picks how they are used:

- ``"fused"``: call ``self.rnn`` (packing the batch when lengths are given). Fast.
- ``"explicit"``: a Python loop over layers and timesteps calling the cells of
  :mod:`seqlab.nn.cells` on the same parameters. Slow, readable, and equal to the fused path.

``impl`` is a plain attribute, so one model can be run both ways.

State follows torch: ``h`` of shape (num_layers * D, B, H) for rnn and gru, a tuple ``(h, c)``
for lstm, ``None`` for zeros. Layer l, direction d lives at index ``l * D + d``.

How lengths are respected, for a batch with lengths (3, 1) and T = 3 (``.`` is padding)::

    forward  direction:  a0 -> a1 -> a2        b0   .    .    (state frozen after b0)
    backward direction:  a0 <- a1 <- a2        b0   .    .    (b starts at b0, its last token)
    output:              [a0  a1  a2]          [b0  0    0]

The final state is each sequence's state at its last valid step (first step, for backward).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlab.nn.cells import NONLINEARITIES, CellWeights, gru_cell, lstm_cell, rnn_cell

State = Tensor | tuple[Tensor, Tensor]
"""h (L*D, B, H) for rnn/gru; (h, c), each (L*D, B, H), for lstm."""

MODES: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
IMPLS = ("fused", "explicit")


def map_state(state: State | None, fn: Callable[[Tensor], Tensor]) -> State | None:
    """Apply ``fn`` to every tensor of a state (a tensor, a tuple of tensors, or None).

    Example, reordering the batch in beam search: ``map_state(state, lambda t: t[:, idx])``.
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return fn(state)
    return tuple(map_state(s, fn) for s in state)


def hidden_of(state: State) -> Tensor:
    """The hidden state h (L*D, B, H) of a state: the tensor itself, or h of an LSTM's (h, c)."""
    return state[0] if isinstance(state, tuple) else state


def blend_state(keep: Tensor, new: State, old: State) -> State:
    """``new`` where ``keep`` (broadcast over (L, B, H)) is True, else ``old``, per tensor."""
    if isinstance(new, Tensor):
        return torch.where(keep, new, old)
    return tuple(torch.where(keep, n, o) for n, o in zip(new, old, strict=True))


def read_prime(
    step: Callable[[Tensor, State | None], tuple[Tensor, State]],
    prime: Tensor,
    lengths: Tensor | None,
    zeros: Callable[[int], State],
) -> State | None:
    """The state after ``step`` (tokens (B,), state -> (output, state)) has read ``prime``
    (B, T) one token at a time, from the zero state (``None``; T may be 0).

    ``lengths`` (B,): row b reads only its first ``lengths[b]`` tokens (right padding) and its
    state then stays as it is, so primes of different lengths share a batch; ``zeros(B)`` is
    the explicit zero state that a row still at its start keeps.
    """
    state = None
    for t in range(prime.shape[1]):
        _, new = step(prime[:, t], state)
        if lengths is None or bool((lengths > t).all()):
            state = new
            continue
        old = state if state is not None else zeros(prime.shape[0])
        keep = (lengths > t).to(prime.device)[None, :, None]  # (1, B, 1)
        state = blend_state(keep, new, old)
    return state


def detach_state(state: State | None) -> State | None:
    """Cut the autograd graph between BPTT windows, keeping the values."""
    return map_state(state, Tensor.detach)


def _autocast_bf16_cpu(x: Tensor) -> bool:
    """Whether ``x`` is a CPU tensor under bf16 autocast."""
    return (
        x.device.type == "cpu"
        and torch.is_autocast_enabled("cpu")
        and torch.get_autocast_dtype("cpu") == torch.bfloat16
    )


@functools.cache
def cpu_bf16_lstm_supported() -> bool:
    """Whether this CPU runs torch's fused LSTM under bf16 autocast (it needs oneDNN's native
    bf16: AVX512-BF16 or AMX). Probed once with a tiny layer."""
    probe = nn.LSTM(2, 2, batch_first=True)
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            probe(torch.zeros(1, 1, 2))
    except RuntimeError:
        return False
    return True


def _check_choice(name: str, value: str, valid) -> None:
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(valid)}")


class Recurrent(nn.Module):
    """A multi-layer (bi)directional RNN, LSTM or GRU over batch-first sequences.

    Args:
        mode: "rnn", "lstm" or "gru".
        input_size: features per timestep of the input.
        hidden_size: features of the hidden state h (and c) per direction.
        num_layers: stacked layers; layer l+1 reads the outputs of layer l.
        bidirectional: add a right-to-left direction; outputs are concatenated.
        dropout: dropout on each layer's output except the last's, in training mode only.
        impl: "fused" (torch kernels) or "explicit" (the equations of ``seqlab.nn.cells``).
        nonlinearity: "tanh" or "relu", for mode "rnn" only.
        bias: use the bias vectors b_ih and b_hh.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        bidirectional: bool = False,
        dropout: float = 0.0,
        impl: str = "fused",
        nonlinearity: str = "tanh",
        bias: bool = True,
    ):
        super().__init__()
        _check_choice("mode", mode, MODES)
        _check_choice("impl", impl, IMPLS)
        _check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        if mode != "rnn" and nonlinearity != "tanh":
            raise ValueError(f"nonlinearity applies to mode 'rnn' only, not {mode!r}")
        extra = {"nonlinearity": nonlinearity} if mode == "rnn" else {}
        self.rnn = MODES[mode](
            input_size,
            hidden_size,
            num_layers,
            bias=bias,
            batch_first=True,
            dropout=dropout,
            bidirectional=bidirectional,
            **extra,
        )
        self.mode = mode
        self.impl = impl
        self.nonlinearity = nonlinearity
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.bias = bias

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features per timestep of the output: num_directions * hidden_size."""
        return self.num_directions * self.hidden_size

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, impl={self.impl!r}"

    def weights(self, layer: int, direction: int = 0) -> CellWeights:
        """(w_ih, w_hh, b_ih, b_hh) of one layer and direction; biases None if bias=False."""
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        w_ih = getattr(self.rnn, "weight_ih" + suffix)  # (G*H, I) or (G*H, D*H)
        w_hh = getattr(self.rnn, "weight_hh" + suffix)  # (G*H, H)
        if not self.bias:
            return CellWeights(w_ih, w_hh)
        b_ih = getattr(self.rnn, "bias_ih" + suffix)  # (G*H,)
        return CellWeights(w_ih, w_hh, b_ih, getattr(self.rnn, "bias_hh" + suffix))

    def initial_state(
        self, batch_size: int, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> State:
        """Zeros in torch's state layout, on the parameters' device and dtype by default."""
        ref = self.rnn.weight_hh_l0
        shape = (self.num_layers * self.num_directions, batch_size, self.hidden_size)
        h = torch.zeros(shape, device=device or ref.device, dtype=dtype or ref.dtype)
        return (h, torch.zeros_like(h)) if self.mode == "lstm" else h

    # ---------------------------------------------------------------------------------------
    # forward: whole sequences

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: State | None = None
    ) -> tuple[Tensor, State]:
        """Run over whole sequences.

        Args:
            x: (B, T, input_size).
            lengths: (B,) valid steps per sequence, 1..T; None means all T are valid.
            state: initial state in torch's layout; None means zeros.

        Returns:
            output (B, T, D*hidden_size), zero at padded positions, and the final state.
        """
        self._check_input(x, lengths)
        _check_choice("impl", self.impl, IMPLS)
        if self.impl == "fused":
            return self._forward_fused(x, lengths, state)
        return self._forward_explicit(x, lengths, state)

    def _check_input(self, x: Tensor, lengths: Tensor | None) -> None:
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(
                f"expected input of shape (B, T, {self.input_size}), got {tuple(x.shape)}"
            )
        if lengths is None:
            return
        if lengths.shape != (x.shape[0],):
            raise ValueError(
                f"expected lengths of shape ({x.shape[0]},), got {tuple(lengths.shape)}"
            )
        if int(lengths.min()) < 1 or int(lengths.max()) > x.shape[1]:
            raise ValueError(f"lengths must lie in 1..{x.shape[1]}, got {lengths.tolist()}")

    def _forward_fused(
        self, x: Tensor, lengths: Tensor | None, state: State | None
    ) -> tuple[Tensor, State]:
        if self.mode == "lstm" and _autocast_bf16_cpu(x) and not cpu_bf16_lstm_supported():
            # autocast sends nn.LSTM to oneDNN's bf16 kernel, which CPUs without native bf16
            # (no AVX512-BF16 / AMX) cannot create; run this layer in fp32 there instead
            with torch.autocast("cpu", enabled=False):
                return self._forward_fused(x.float(), lengths, map_state(state, Tensor.float))
        if lengths is None:
            return self.rnn(x, state)
        # pack so the kernel stops each sequence at its length (and the reverse direction
        # starts at its last valid token); enforce_sorted=False sorts and unsorts for us
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, state = self.rnn(packed, state)
        output, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=x.shape[1])
        return output, state  # (B, T, D*H), padded positions 0

    def _forward_explicit(
        self, x: Tensor, lengths: Tensor | None, state: State | None
    ) -> tuple[Tensor, State]:
        batch, steps = x.shape[:2]
        parts = self._state_parts(state, batch, x)  # (h,) or (h, c), each (L*D, B, H)
        masks = None
        if lengths is not None:
            valid = torch.arange(steps, device=x.device) < lengths.to(x.device)[:, None]  # (B, T)
            masks = valid.unsqueeze(-1)  # (B, T, 1)
        finals = []  # per layer and direction: (h,) or (h, c), each (B, H)
        layer_input = x  # (B, T, I)
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                start = tuple(p[index] for p in parts)
                out, final = self._run_direction(layer, direction, layer_input, start, masks)
                outputs.append(out)  # (B, T, H)
                finals.append(final)
            layer_input = torch.cat(outputs, dim=-1)  # (B, T, D*H)
            if layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
        stacked = tuple(
            torch.stack(p, dim=0) for p in zip(*finals, strict=True)
        )  # each (L*D, B, H)
        return layer_input, self._to_torch_state(stacked)

    def _run_direction(
        self,
        layer: int,
        direction: int,
        x: Tensor,
        state: tuple[Tensor, ...],
        masks: Tensor | None,
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        """One layer, one direction: x (B, T, I) -> outputs (B, T, H) and the final state.

        Where ``masks`` says a step is padding the state passes through unchanged and the
        output is 0, so going right-to-left each sequence starts at its own last token.
        """
        weights = self.weights(layer, direction)
        steps = x.shape[1]
        order = range(steps - 1, -1, -1) if direction == 1 else range(steps)
        outputs: list[Tensor | None] = [None] * steps
        for t in order:
            new = self._cell(x[:, t], state, weights)  # (h,) or (h, c), each (B, H)
            if masks is None:
                state, outputs[t] = new, new[0]
            else:
                m = masks[:, t]  # (B, 1)
                state = tuple(torch.where(m, n, s) for n, s in zip(new, state, strict=True))
                outputs[t] = torch.where(m, new[0], 0.0)
        return torch.stack(outputs, dim=1), state  # (B, T, H)

    def _cell(
        self, x: Tensor, state: tuple[Tensor, ...], weights: tuple[Tensor, ...]
    ) -> tuple[Tensor, ...]:
        """One explicit step on a state tuple, so LSTM (h, c) and GRU/RNN (h,) share a path."""
        if self.mode == "lstm":
            return lstm_cell(x, (state[0], state[1]), weights)
        if self.mode == "gru":
            return (gru_cell(x, state[0], weights),)
        return (rnn_cell(x, state[0], weights, self.nonlinearity),)

    def _state_parts(self, state: State | None, batch: int, x: Tensor) -> tuple[Tensor, ...]:
        if state is None:
            state = self.initial_state(batch, device=x.device, dtype=x.dtype)
        return tuple(state) if self.mode == "lstm" else (state,)

    def _to_torch_state(self, parts: tuple[Tensor, ...]) -> State:
        return (parts[0], parts[1]) if self.mode == "lstm" else parts[0]

    # ---------------------------------------------------------------------------------------
    # step: one timestep, for autoregressive generation

    def step(
        self, x: Tensor, state: State | None = None, layer0: CellWeights | None = None
    ) -> tuple[Tensor, State]:
        """Advance one timestep with torch's fused per-step kernels (unidirectional only).

        Args:
            x: (B, input_size), one timestep.
            state: torch's layout, (L, B, H) or a tuple of two; None means zeros.
            layer0: weights that replace the first layer's, for a caller that has already
                multiplied part of the input (:mod:`seqlab.nn.preset_input`); x is then the
                rest of the input, (B, layer0.w_ih.shape[1]).

        Returns:
            y (B, hidden_size), the top layer's new h, and the new state. Equal to
            ``forward(x[:, None], state=state)`` with the time axis removed.
        """
        if self.bidirectional:
            raise ValueError("step() needs a unidirectional Recurrent (bidirectional=False)")
        width = self.input_size if layer0 is None else layer0.w_ih.shape[1]
        if x.dim() != 2 or x.shape[-1] != width:
            raise ValueError(f"expected input of shape (B, {width}), got {tuple(x.shape)}")
        # per layer by unbind and back by stack: one autograd op each way, not one per layer
        per_layer = zip(*(p.unbind(0) for p in self._state_parts(state, x.shape[0], x)))
        new_parts = []
        layer_input = x  # (B, I)
        for layer, layer_state in enumerate(per_layer):
            weights = layer0 if layer == 0 and layer0 is not None else self.weights(layer)
            new = self._fused_cell(layer_input, layer_state, weights)
            new_parts.append(new)
            layer_input = new[0]  # (B, H)
            if layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
        stacked = tuple(
            p[0].unsqueeze(0) if len(p) == 1 else torch.stack(p, dim=0)
            for p in zip(*new_parts, strict=True)
        )  # each (L, B, H)
        return layer_input, self._to_torch_state(stacked)

    def _fused_cell(
        self, x: Tensor, state: tuple[Tensor, ...], weights: tuple[Tensor, ...]
    ) -> tuple[Tensor, ...]:
        # the kernels nn.LSTMCell / nn.GRUCell / nn.RNNCell call
        if self.mode == "lstm":
            return tuple(torch.lstm_cell(x, state, *weights))
        if self.mode == "gru":
            return (torch.gru_cell(x, state[0], *weights),)
        kernel = torch.rnn_tanh_cell if self.nonlinearity == "tanh" else torch.rnn_relu_cell
        return (kernel(x, state[0], *weights),)
