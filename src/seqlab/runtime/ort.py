"""ONNX Runtime models with the interface the tasks and the decoding loop use.

Each class stands in for its torch model: the tasks call the same methods (``start``, ``step``,
``select``; or the model itself on a batch), get torch tensors back, and the decoding loop never
knows which backend it drives. Tensors cross to NumPy and back without copies where they can.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from seqlab.errors import SeqlabError
from seqlab.nn.recurrent import read_prime
from seqlab.runtime.manifest import MANIFEST, GraphEntry, Manifest, inside


class Session:
    """One ONNX graph: ``session(name=array, ...)`` -> {output name: array}."""

    def __init__(self, path: Path, threads: int = 0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # ONNX Runtime raises its own error types
            raise SeqlabError(f"{path}: ONNX Runtime cannot load this graph ({e})") from None
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.path = Path(path)

    @classmethod
    def of(cls, export_dir: Path, manifest: Manifest, name: str, threads: int = 0) -> Session:
        """Graph ``name`` of an export, refused in one line unless its inputs and outputs are
        the ones the manifest names."""
        entry: GraphEntry | None = manifest.graphs.get(name)
        if entry is None:
            raise SeqlabError(
                f"{export_dir / MANIFEST}: graphs: no {name!r} graph, which a {manifest.task} "
                f"export holds; export the run again (seqlab export RUN)"
            )
        session = cls(inside(export_dir, entry.file), threads)
        if session.inputs != entry.inputs or session.outputs != entry.outputs:
            raise SeqlabError(
                f"{session.path}: not the {name} graph of this export: it takes "
                f"({', '.join(session.inputs)}) -> ({', '.join(session.outputs)}), the manifest "
                f"says ({', '.join(entry.inputs)}) -> ({', '.join(entry.outputs)})"
            )
        return session

    def output_dim(self, index: int = 0) -> int | str | None:
        """The size of the last axis of output ``index`` (a name where it is dynamic)."""
        shape = self.session.get_outputs()[index].shape
        return shape[-1] if shape else None

    def __call__(self, **feeds: np.ndarray) -> dict[str, np.ndarray]:
        values = self.session.run(None, {name: feeds[name] for name in self.inputs})
        return dict(zip(self.outputs, values, strict=True))


def _np(t: Tensor) -> np.ndarray:
    return t.detach().cpu().contiguous().numpy()


def _t(a: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


class RuntimeModel:
    """What the tasks use of an ``nn.Module``: ``eval``, ``parameters`` (for the device)."""

    training = False
    log_probs = True  # the step graphs end in log_softmax: decoding need not normalize again

    def eval(self) -> RuntimeModel:
        return self

    def train(self, mode: bool = True) -> RuntimeModel:
        if mode:
            raise SeqlabError("an exported model cannot be trained; train the run with torch")
        return self

    def parameters(self) -> Iterator[Tensor]:
        yield torch.zeros(0)  # the CPU: where every input is made


@dataclass
class EncodedState:
    """Decoder state as arrays: h, c (L, B, H) or None; feed (B, H) or None; memory (B, S, K);
    keys (B, S, A) or None; mask (B, S) bool; weights (B, S): the last step's attention, as
    the graph gave it, or None. ``attn`` is the same as a torch tensor, made when read: most
    decoding never reads it, and at batch 1 each conversion costs a few microseconds a step."""

    h: np.ndarray
    c: np.ndarray | None
    feed: np.ndarray | None
    memory: np.ndarray
    keys: np.ndarray | None
    mask: np.ndarray
    weights: np.ndarray | None = None

    @property
    def attn(self) -> Tensor | None:
        return None if self.weights is None else _t(self.weights)


class OrtSeq2Seq(RuntimeModel):
    """The encoder graph once per batch, the one-step decoder graph per token."""

    def __init__(self, export_dir: Path, manifest: Manifest, threads: int = 0):
        self.encoder = Session.of(export_dir, manifest, "encoder", threads)
        self.decoder = Session.of(export_dir, manifest, "step", threads)
        self.has_attention = manifest.attention

    def start(self, src: Tensor, src_lengths: Tensor) -> EncodedState:
        """src (B, S), src_lengths (B,) -> the state before the first step."""
        out = self.encoder(src=_np(src), lengths=_np(src_lengths))
        return EncodedState(
            out["h"], out.get("c"), out.get("feed"), out["memory"], out.get("keys"), out["mask"]
        )

    encode = start

    def step(self, tokens: Tensor, state: EncodedState) -> tuple[Tensor, EncodedState]:
        """tokens (B,) -> log-probabilities (B, V), the next state (``attn`` (B, S))."""
        feeds = {"tokens": _np(tokens), "h": state.h, "memory": state.memory, "mask": state.mask}
        for name in ("c", "feed", "keys"):
            if getattr(state, name) is not None:
                feeds[name] = getattr(state, name)
        out = self.decoder(**feeds)
        rnn = (out["h_out"], out.get("c_out"), out.get("feed_out"))
        weights = out.get("attn")  # (B, S), made a tensor only if read
        return _t(out["logp"]), EncodedState(*rnn, state.memory, state.keys, state.mask, weights)

    @staticmethod
    def select(state: EncodedState, index: Tensor) -> EncodedState:
        rows = _np(index)

        def take(a: np.ndarray | None, axis: int = 0) -> np.ndarray | None:
            return None if a is None else np.take(a, rows, axis=axis)

        return EncodedState(
            take(state.h, 1),
            take(state.c, 1),
            take(state.feed),
            take(state.memory),
            take(state.keys),
            take(state.mask),
            take(state.weights),
        )


class _Recurrent(RuntimeModel):
    """A step graph over an (h[, c]) state, for the language model and the generator."""

    lstm: bool

    def _state(self, state: Any, batch: int) -> dict[str, np.ndarray]:
        if state is None:
            zeros = np.zeros((self.layers, batch, self.hidden), dtype=np.float32)
            return {"h": zeros, "c": zeros} if self.lstm else {"h": zeros}
        if self.lstm:
            return {"h": _np(state[0]), "c": _np(state[1])}
        return {"h": _np(state)}

    def _new_state(self, out: dict[str, np.ndarray]) -> Any:
        h = _t(out["h_out"])
        return (h, _t(out["c_out"])) if self.lstm else h

    @staticmethod
    def select(state: Any, index: Tensor) -> Any:
        if state is None:
            return None
        if isinstance(state, Tensor):
            return state.index_select(1, index)
        return tuple(s.index_select(1, index) for s in state)


class OrtLanguageModel(_Recurrent):
    """The step graph for generation, the whole-window graph for ``evaluate``."""

    def __init__(self, export_dir: Path, manifest: Manifest, threads: int = 0):
        self.step_graph = Session.of(export_dir, manifest, "step", threads)
        self.forward_graph = Session.of(export_dir, manifest, "forward", threads)
        self.lstm = manifest.cell == "lstm"
        self.layers, self.hidden = manifest.num_layers, manifest.hidden_size

    def step(self, tokens: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        out = self.step_graph(tokens=_np(tokens), **self._state(state, tokens.shape[0]))
        return _t(out["logp"]), self._new_state(out)

    def start(self, prime: Tensor, lengths: Tensor | None = None) -> Any:
        """As :meth:`seqlab.models.lm.LanguageModel.start`: read the prime step by step."""
        return read_prime(self.step, prime, lengths, self._zeros)

    def _zeros(self, batch: int) -> Any:
        h = torch.zeros(self.layers, batch, self.hidden)
        return (h, torch.zeros_like(h)) if self.lstm else h

    def __call__(
        self, tokens: Tensor, state: Any = None, targets: Tensor | None = None
    ) -> tuple[Tensor, Any]:
        """tokens (B, T) -> log-probabilities (B, T, V), or with targets the NLL (B, T)."""
        out = self.forward_graph(tokens=_np(tokens), **self._state(state, tokens.shape[0]))
        logp = _t(out["logp"])
        if targets is None:
            return logp, self._new_state(out)
        return -logp.gather(2, targets.unsqueeze(2)).squeeze(2), self._new_state(out)


class OrtConditionalGenerator(_Recurrent):
    """The start graph (condition -> state) and the step graph."""

    def __init__(self, export_dir: Path, manifest: Manifest, threads: int = 0):
        self.start_graph = Session.of(export_dir, manifest, "start", threads)
        self.step_graph = Session.of(export_dir, manifest, "step", threads)
        self.lstm = manifest.cell == "lstm"
        self.layers, self.hidden = manifest.num_layers, manifest.hidden_size

    def start(self, condition: Tensor) -> tuple[Any, Tensor]:
        out = self.start_graph(condition=_np(condition))
        return self._new_state(out), _t(out["cond"])

    def step(self, tokens: Tensor, state: tuple[Any, Tensor]) -> tuple[Tensor, tuple]:
        rnn, cond = state
        feeds = self._state(rnn, tokens.shape[0])
        out = self.step_graph(tokens=_np(tokens), cond=_np(cond), **feeds)
        return _t(out["logp"]), (self._new_state(out), cond)

    @staticmethod
    def select(state: tuple[Any, Tensor], index: Tensor) -> tuple[Any, Tensor]:
        rnn, cond = state
        return _Recurrent.select(rnn, index), cond.index_select(0, index)


class OrtClassifier(RuntimeModel):
    def __init__(self, export_dir: Path, manifest: Manifest, threads: int = 0):
        self.graph = Session.of(export_dir, manifest, "classifier", threads)

    def __call__(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """tokens (B, T), lengths (B,) -> logits (B, C)."""
        return _t(self.graph(tokens=_np(tokens), lengths=_np(lengths))["logits"])


class OrtTagger(RuntimeModel):
    """The emissions graph; the CRF's Viterbi decoding stays in torch (its weights are saved
    beside the graph)."""

    def __init__(self, export_dir: Path, manifest: Manifest, threads: int = 0):
        self.graph = Session.of(export_dir, manifest, "emissions", threads)
        self.chars = True if manifest.char_features else None
        self.crf = None
        if manifest.crf:
            self.crf = _load_crf(inside(export_dir, manifest.crf), self.graph.output_dim())

    def __call__(self, tokens: Tensor, lengths: Tensor, chars: Tensor | None = None) -> Tensor:
        """tokens (B, T), lengths (B,), chars (B, T, C) -> emissions (B, T, K)."""
        feeds = {"tokens": _np(tokens), "lengths": _np(lengths)}
        if self.chars is not None:
            feeds["chars"] = _np(chars)
        return _t(self.graph(**feeds)["emissions"])

    def decode(self, emissions: Tensor, lengths: Tensor) -> list[list[int]]:
        from seqlab.models.tagger import decode_tags

        return decode_tags(self.crf, emissions, lengths)


def _load_crf(path: Path, tags: int | str | None):
    """The CRF saved beside an emissions graph of ``tags`` tags, or a one-line error."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from torchcrf import CRF

    try:
        weights = load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as e:
        raise SeqlabError(f"{path}: cannot load the CRF ({e})") from None
    shapes = {name: tuple(t.shape) for name, t in weights.items()}
    expected = {"start_transitions": (tags,), "end_transitions": (tags,)}
    expected["transitions"] = (tags, tags)
    if shapes != expected:
        raise SeqlabError(
            f"{path}: not the CRF of this export's emissions graph ({tags} tags): holds "
            f"{shapes}, expected {expected}"
        )
    crf = CRF(int(tags), batch_first=True)
    crf.load_state_dict(weights)
    return crf


RUNTIME_MODELS = {
    "seq2seq": OrtSeq2Seq,
    "lm": OrtLanguageModel,
    "condgen": OrtConditionalGenerator,
    "classify": OrtClassifier,
    "tag": OrtTagger,
}


def runtime_model(export_dir: Path, manifest: Manifest, threads: int = 0) -> RuntimeModel:
    """The runtime model of an export (its task named in the manifest)."""
    return RUNTIME_MODELS[manifest.task](Path(export_dir), manifest, threads)
