"""A Transformer language model on ONNX Runtime: the step and forward graphs of
:mod:`seqlab.export.transformer_graphs`, with the interface of
:class:`~seqlab.models.transformer_lm.TransformerLM` (``start``, ``step``, ``select``, and the
model itself on a window), so the one decoding loop drives greedy, sampling and beam search.

Its state is a :class:`CacheState` of NumPy arrays: the graphs' outputs go back in unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from torch import Tensor

from seqlab.data.batching import pad_ids
from seqlab.runtime.manifest import Manifest
from seqlab.runtime.ort import RuntimeModel, Session, _np, _t


def check_position(last: int, max_len: int) -> None:
    """Refuse position ``last`` past the positions of the model, as its torch model does."""
    if last >= max_len:
        raise ValueError(
            f"position {last} is beyond max_len {max_len}; "
            "use a longer max_len or a shorter sequence"
        )


def take_rows(state: NamedTuple, index: Tensor, layered: tuple[str, ...]) -> NamedTuple:
    """Rows ``index`` (N,) of every field of ``state``: on axis 1 for the fields named in
    ``layered`` (L, B, ...), on axis 0 for the others; a torch tensor stays one, None stays."""
    rows = _np(index)
    fields = {}
    for name, value in state._asdict().items():
        if value is None or isinstance(value, Tensor):
            fields[name] = None if value is None else value.index_select(0, index)
        else:
            fields[name] = np.take(value, rows, axis=1 if name in layered else 0)
    return type(state)(**fields)


class CacheState(NamedTuple):
    """keys, values (L, B, h, t, d_k) float32: every block's cache, stacked over the layers;
    real (B, t) bool, True where a cached position holds a real token (not a prime's padding);
    positions (B,) int64, the position each row's next token takes; tokens (B, t) int64, the
    tokens read so far (a window that slides is read again from them)."""

    keys: np.ndarray
    values: np.ndarray
    real: np.ndarray
    positions: np.ndarray
    tokens: np.ndarray


class OrtTransformerLM(RuntimeModel):
    """The step graph for generation, the forward graph for a prime and for ``evaluate``."""

    carries_state = False  # evaluate reads each window on its own, as the torch model does

    def __init__(self, export_dir: Path, manifest: Manifest, threads: int = 0):
        self.step_graph = Session.of(export_dir, manifest, "step", threads)
        self.forward_graph = Session.of(export_dir, manifest, "forward", threads)
        shape = manifest.transformer
        self.layers, self.heads = manifest.num_layers, shape.num_heads
        self.head_dim, self.max_len = manifest.hidden_size // shape.num_heads, shape.max_len
        self.vocab_size = self.step_graph.output_dim()

    def empty_state(self, batch_size: int) -> CacheState:
        """No position read yet: caches (L, B, h, 0, d_k), real (B, 0), positions zeros."""
        cache = np.zeros((self.layers, batch_size, self.heads, 0, self.head_dim), np.float32)
        real = np.ones((batch_size, 0), dtype=bool)
        zeros = np.zeros(batch_size, dtype=np.int64)
        return CacheState(cache, cache, real, zeros, zeros[:, None][:, :0])

    def _run(self, graph: Session, tokens: Tensor, state: CacheState | None):
        """tokens (B,) or (B, T) after ``state`` -> log-probabilities, the state T longer."""
        state = state if state is not None else self.empty_state(tokens.shape[0])
        steps = 1 if tokens.dim() == 1 else tokens.shape[1]
        check_position(int(state.positions.max(initial=0)) + steps - 1, self.max_len)
        out = graph(
            tokens=_np(tokens),
            past_keys=state.keys,
            past_values=state.values,
            real=state.real,
            positions=state.positions,
        )
        real = np.concatenate([state.real, np.ones((tokens.shape[0], steps), dtype=bool)], 1)
        read = np.concatenate([state.tokens, _np(tokens).reshape(tokens.shape[0], steps)], 1)
        new = CacheState(out["keys_out"], out["values_out"], real, state.positions + steps, read)
        return _t(out["logp"]), new

    def step(self, tokens: Tensor, state: CacheState | None = None) -> tuple[Tensor, CacheState]:
        """tokens (B,) -> log-probabilities (B, V) and the state one position longer; past
        ``max_len`` the window slides, as :meth:`seqlab.models.transformer_lm.TransformerLM.step`
        does."""
        if state is not None and int(state.positions.max(initial=0)) >= self.max_len:
            state = self._slide(state)
        return self._run(self.step_graph, tokens, state)

    def _slide(self, state: CacheState) -> CacheState:
        """The state after reading again each row's last ``max_len // 2`` real tokens."""
        keep = max(1, self.max_len // 2)
        return self._read([row[real][-keep:] for row, real in zip(state.tokens, state.real)])

    def _read(self, rows: list[np.ndarray]) -> CacheState:
        """The state after reading token rows of different lengths (each (T_b,), T_b >= 1)."""
        prime, lengths = pad_ids([row.tolist() for row in rows])  # (B, T), (B,)
        return self.start(prime, lengths)

    def __call__(
        self, tokens: Tensor, state: CacheState | None = None, targets: Tensor | None = None
    ) -> tuple[Tensor, CacheState]:
        """tokens (B, T) -> log-probabilities (B, T, V), or with targets the NLL (B, T)."""
        logp, state = self._run(self.forward_graph, tokens, state)
        if targets is None:
            return logp, state
        return -logp.gather(2, targets.unsqueeze(2)).squeeze(2), state

    def start(self, prime: Tensor, lengths: Tensor | None = None) -> CacheState | None:
        """As :meth:`seqlab.models.transformer_lm.TransformerLM.start`: prime (B, T) read at
        once; with ``lengths`` (B,) the padding after each row's length is marked not real."""
        if prime.shape[1] == 0:
            return None
        if prime.shape[1] > self.max_len:  # read only the window the model was trained on
            ends = _np(lengths) if lengths is not None else [prime.shape[1]] * prime.shape[0]
            keep = max(1, self.max_len // 2)
            return self._read([_np(row)[:n][-keep:] for row, n in zip(prime, ends)])
        _, state = self(prime)
        if lengths is None:
            return state
        rows = _np(lengths).astype(np.int64)
        real = np.arange(prime.shape[1])[None, :] < rows[:, None]  # (B, T)
        return state._replace(real=real, positions=rows)

    @staticmethod
    def select(state: CacheState | None, index: Tensor) -> CacheState | None:
        """Rows ``index`` (N,) of the state (beam reordering, finished rows leaving)."""
        return None if state is None else take_rows(state, index, ("keys", "values"))
