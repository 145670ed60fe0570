"""A faster LSTM step for token-by-token inference (generation at batch 1).

At batch 1 a step is dominated by reading weights, not by arithmetic. Two things help:

- the first layer's input is an embedding row, so ``W_ih · e(token) + b_ih + b_hh`` can be
  looked up in a precomputed table (V, 4H) instead of multiplied every step;
- the recurrent weights are stored transposed and contiguous, so ``h @ W_hh^T`` is one ``addmm``
  over memory in the order it is read.

The gates are then the same equations as :func:`seqlab.nn.cells.lstm_cell`. The tables are
rebuilt whenever a weight changes (each tensor's in-place version counter is part of the key),
so training and loading weights never leave them stale. Inference only: no autograd.
"""

from __future__ import annotations

import weakref

import torch
from torch import Tensor

from seqlab.nn.recurrent import Recurrent


def _version(t: Tensor) -> int:
    """In-place version counter; inference tensors have none (and are never trained)."""
    try:
        return t._version
    except RuntimeError:
        return -1


class LSTMInference:
    """Step a unidirectional LSTM ``Recurrent`` whose input is ``embedding_weight[token]``."""

    def __init__(self, rnn: Recurrent, embedding_weight: Tensor):
        if rnn.mode != "lstm" or rnn.bidirectional:
            raise ValueError("LSTMInference needs a unidirectional LSTM")
        self.owner = weakref.ref(rnn)
        # where each recurrent parameter lives, so freshness checks skip module recursion
        self.slots = [
            (m, n) for m in rnn.modules() for n, p in m._parameters.items() if p is not None
        ]
        self.params = self._current(embedding_weight)
        self.key = self._key(self.params)
        with torch.no_grad():
            layers = []
            for layer in range(rnn.num_layers):
                w_ih, w_hh, b_ih, b_hh = rnn.weights(layer)
                bias = (b_ih + b_hh) if b_ih is not None else torch.zeros(w_ih.shape[0])
                if layer == 0:
                    w_in = torch.addmm(bias, embedding_weight, w_ih.t())  # (V, 4H) table
                else:
                    w_in = w_ih.t().contiguous()  # (H, 4H)
                layers.append((w_in, bias, w_hh.t().contiguous()))  # w_hh^T: (H, 4H)
        self.layers = layers

    def _current(self, embedding_weight: Tensor) -> list[Tensor]:
        return [embedding_weight, *(m._parameters[n] for m, n in self.slots)]

    @staticmethod
    def _key(params: list[Tensor]) -> tuple:
        """Identity, in-place version and storage of every weight: a changed value, a
        replaced parameter or a ``.data`` swap (``.to(dtype)``) each make the tables stale."""
        return tuple((id(p), _version(p), p.data_ptr()) for p in params)

    def fresh(self, rnn: Recurrent, embedding_weight: Tensor) -> bool:
        if self.owner() is not rnn:
            return False
        return self.key == self._key(self._current(embedding_weight))

    @torch.no_grad()
    def step(self, tokens: Tensor, state: tuple[Tensor, Tensor] | None) -> tuple[Tensor, tuple]:
        """tokens (B,) -> (top h (B, H), (h, c) each (L, B, H))."""
        hs, cs = [], []
        x = None
        for layer, (w_in, bias, w_hh_t) in enumerate(self.layers):
            if state is None:
                h = c = torch.zeros(tokens.shape[0], w_hh_t.shape[0], dtype=w_hh_t.dtype)
            else:
                h, c = state[0][layer], state[1][layer]  # (B, H)
            if layer == 0:
                gates = torch.addmm(w_in.index_select(0, tokens), h, w_hh_t)  # (B, 4H)
            else:
                gates = torch.addmm(torch.addmm(bias, x, w_in), h, w_hh_t)
            # Fewer, larger kernels than one call per gate: at batch 1 each call costs more
            # than its arithmetic. sigmoid over all 4H (the g slice is then unused).
            n = w_hh_t.shape[0]
            sig = torch.sigmoid(gates)
            c = torch.addcmul(
                sig[:, n : 2 * n] * c, sig[:, :n], torch.tanh(gates[:, 2 * n : 3 * n])
            )
            h = sig[:, 3 * n :] * torch.tanh(c)
            hs.append(h)
            cs.append(c)
            x = h
        if len(hs) == 1:
            return x, (hs[0].unsqueeze(0), cs[0].unsqueeze(0))
        return x, (torch.stack(hs), torch.stack(cs))
