"""A Transformer encoder-decoder on ONNX Runtime against torch: the encoder's memory keys and
every decoder step's log-probabilities, cache and attention within 1e-4 (sources of 1 to 40
tokens, batch 1 and 5), the same tokens from greedy and beam search through the one decoding
loop, and an int8 export close to fp32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tests.export.conftest import export_transformer

from seqlab.data.parallel import pad, with_eos
from seqlab.data.vocab import EOS_ID, SOS_ID
from seqlab.decode.loop import decode
from seqlab.decode.search import max_lengths
from seqlab.decode.strategy import Beam, Greedy
from seqlab.export.transformer_seq2seq_graphs import transformer_seq2seq_graphs
from seqlab.models.transformer_seq2seq import TransformerSeq2Seq
from seqlab.nn.transformer_block import BlockShape
from seqlab.runtime.ort_transformer_seq2seq import OrtTransformerSeq2Seq

V, MAX_LEN = 30, 128


def _model(positions: str = "sinusoidal") -> TransformerSeq2Seq:
    torch.manual_seed(0)
    block = BlockShape(16, 2, 32)
    model = TransformerSeq2Seq(V, V, block, num_layers=2, positions=positions, max_len=MAX_LEN)
    with torch.no_grad():
        model.output.bias[EOS_ID] -= 1.0  # outputs of some length
    return model.eval()


def _export(model: TransformerSeq2Seq, root: Path, int8: bool = False) -> OrtTransformerSeq2Seq:
    graphs = transformer_seq2seq_graphs(model)
    return OrtTransformerSeq2Seq(root, export_transformer(graphs, root, "seq2seq", int8), threads=1)


def _batch(lengths: list[int], seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return pad([with_eos(torch.randint(4, V, (n,), generator=g).tolist()) for n in lengths])


def _close(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.float64) - b.double().numpy()).max())


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
def test_every_output_within_1e4(tmp_path, positions):
    model = _model(positions)
    runtime = _export(model, tmp_path)
    for lengths in ([1], [7], [40], [1, 7, 40, 3, 12]):
        src, src_lengths = _batch(lengths)
        with torch.no_grad():
            want = model.start(src, src_lengths)
        got = runtime.start(src, src_lengths)
        assert _close(got.memory_values[-1], want.memory[-1].values) < 1e-4
        assert (got.mask == want.mask.numpy()).all()
        tokens = torch.full((len(lengths),), SOS_ID)
        for _ in range(6):  # a few steps, each fed the torch model's own choice
            with torch.no_grad():
                logits, want = model.step(tokens, want)
            logp, got = runtime.step(tokens, got)
            assert _close(logp, torch.log_softmax(logits, -1)) < 1e-4
            assert _close(got.keys[0], want.caches[0].keys) < 1e-4
            assert _close(got.attn, want.attn) < 1e-4
            tokens = logits.argmax(-1)


@pytest.mark.parametrize("strategy", [Greedy(), Beam(4, 2)])
def test_greedy_and_beam_give_the_same_tokens(tmp_path, strategy):
    model = _model()
    runtime = _export(model, tmp_path)
    lengths = torch.randint(1, 20, (12,), generator=torch.Generator().manual_seed(1)).tolist()
    src, src_lengths = _batch(lengths, seed=2)
    limits = max_lengths(src_lengths, 1.5, 3)
    first = torch.full_like(limits, SOS_ID)
    with torch.no_grad():
        want = decode(model, model.start(src, src_lengths), strategy, first=first, limits=limits,
                      eos=EOS_ID)  # fmt: skip
    got = decode(runtime, runtime.start(src, src_lengths), strategy, first=first, limits=limits,
                 eos=EOS_ID)  # fmt: skip
    assert [[h.tokens for h in hs] for hs in got] == [[h.tokens for h in hs] for hs in want]
    assert any(len(hs[0].tokens) > 1 for hs in want)  # not a comparison of empty outputs


def test_int8_is_close_to_fp32(tmp_path):
    import onnx

    model = _model()
    runtime = _export(model, tmp_path, int8=True)
    ops = {n.op_type for n in onnx.load(str(tmp_path / "step.onnx")).graph.node}
    assert "MatMulInteger" in ops
    src, src_lengths = _batch([5, 9])
    tokens = torch.full((2,), SOS_ID)
    with torch.no_grad():
        logits, _ = model.step(tokens, model.start(src, src_lengths))
    logp, _ = runtime.step(tokens, runtime.start(src, src_lengths))
    assert 0 < _close(logp, torch.log_softmax(logits, -1)) < 0.1
