"""A recurrent step whose input is partly known for the whole sequence before the loop.

A teacher-forced attention decoder reads ``[emb(y_{t-1}); c_t]`` at step t. The embeddings of
every step are known before the loop starts; only the context c_t waits for the previous
state. The first layer's input product splits the same way::

    W_ih [x_t; r_t] + b_ih  =  (W_x x_t + b_ih)  +  W_r r_t          W_ih = [W_x | W_r]
                               -----------------
                               once, for all t: one (B*T, X) x (X, G*H) matrix product

so the loop multiplies only r_t, and each step's known part enters torch's fused cell as its
(B, G*H) input bias. The two weight blocks are sliced once per sequence, so autograd sums their
gradients over the steps and writes them back into ``W_ih`` once, and the sequence is split by
``unbind`` (one backward op) rather than indexed step by step (a (B, T, X) gradient per step).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from seqlab.nn.cells import CellWeights
from seqlab.nn.recurrent import Recurrent, State


class PresetInput:
    """``rnn.step(cat([x[:, t], rest], -1), state)`` for each t, with ``x`` (B, T, X) multiplied
    by its share of the first layer's input weights in one product up front.

        preset = PresetInput(rnn, emb)            # emb (B, T, E)
        for t in range(T):
            out, state = preset.step(t, context, state)   # context (B, K): rest of the input
    """

    def __init__(self, rnn: Recurrent, x: Tensor):
        w_ih, w_hh, b_ih, b_hh = rnn.weights(0)  # w_ih (G*H, X + K)
        width = x.shape[-1]
        self.rnn = rnn
        self.known = F.linear(x, w_ih[:, :width], b_ih).unbind(1)  # T x (B, G*H)
        self.w_rest, self.w_hh, self.b_hh = w_ih[:, width:], w_hh, b_hh  # (G*H, K)

    def __len__(self) -> int:
        return len(self.known)

    def step(self, t: int, rest: Tensor, state: State | None) -> tuple[Tensor, State]:
        """rest (B, K), the input's unknown part at step t -> (y (B, H), new state)."""
        weights = CellWeights(self.w_rest, self.w_hh, self.known[t], self.b_hh)
        return self.rnn.step(rest, state, layer0=weights)
