"""ONNX Runtime against torch: every output of the exported graphs within 1e-4 (lengths 1, 7
and 40, batch 1 and 5; LSTM and GRU; one- and two-way encoders; every attention), and the same
tokens from greedy and beam search through the one decoding loop."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.data.parallel import pad, with_eos
from seqlab.data.vocab import EOS_ID, SOS_ID
from seqlab.decode.loop import decode
from seqlab.decode.search import max_lengths
from seqlab.decode.strategy import Beam, Greedy
from seqlab.export.graphs import seq2seq_graphs
from seqlab.models.seq2seq import Seq2Seq
from seqlab.nn.stack import RecurrentShape
from seqlab.runtime.manifest import read_manifest, write_manifest
from seqlab.runtime.ort import OrtSeq2Seq, Session

V = 30
MODELS = [  # (cell, bidirectional, attention, score, input_feed)
    ("lstm", True, "bahdanau", "general", False),
    ("gru", True, "bahdanau", "general", False),
    ("lstm", False, "bahdanau", "general", False),
    ("gru", False, "bahdanau", "general", False),
    ("lstm", True, "none", "general", False),
    ("gru", True, "luong", "general", False),
    ("lstm", False, "luong", "dot", False),
    ("gru", True, "luong", "concat", False),
    ("lstm", True, "luong", "general", True),
]


def _export(model: Seq2Seq, root: Path) -> tuple[OrtSeq2Seq, dict]:
    graphs = {}
    for g in seq2seq_graphs(model):
        path = root / f"{g.name}.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                g.module, g.example, str(path), dynamo=False, opset_version=17,
                input_names=g.inputs, output_names=g.outputs,
                dynamic_axes={k: v for k, v in g.axes.items() if k in g.inputs + g.outputs},
            )  # fmt: skip
        session = Session(path)
        graphs[g.name] = {"file": path.name, "inputs": session.inputs, "outputs": session.outputs}
    checkpoint = {"which": "best", "step": 0, "sha256": "0" * 64}
    write_manifest(root, {
        "task": "seq2seq", "int8": False, "cell": model.decoder.rnn.mode, "num_layers": 2,
        "hidden_size": 16, "attention": model.has_attention, "char_features": False,
        "crf": None, "graphs": graphs, "checkpoint": checkpoint, "run": str(root), "versions": {},
    })  # fmt: skip
    return OrtSeq2Seq(root, read_manifest(root), threads=1), graphs


def _model(
    cell: str, bidirectional: bool, attention: str, score: str, feed: bool, eos: float = 0.5
) -> Seq2Seq:
    torch.manual_seed(0)
    shape = RecurrentShape(cell, 12, 16, num_layers=2, dropout=0.0, bidirectional=bidirectional)
    model = Seq2Seq(V, V, shape, attention=attention, score=score, input_feed=feed)
    with torch.no_grad():
        model.decoder.out.bias[EOS_ID] += eos  # some outputs end early
    return model.eval()


def _batch(lengths: list[int], seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    sources = [torch.randint(4, V, (n,), generator=g).tolist() for n in lengths]
    return pad([with_eos(s) for s in sources])


def _close(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.float64) - b.double().numpy()).max())


@pytest.mark.parametrize("cell,bidirectional,attention,score,feed", MODELS)
def test_every_output_within_1e4(tmp_path, cell, bidirectional, attention, score, feed):
    model = _model(cell, bidirectional, attention, score, feed)
    runtime, _ = _export(model, tmp_path)
    for lengths in ([1], [7], [40], [1, 7, 40, 3, 12]):
        src, src_lengths = _batch(lengths)
        with torch.no_grad():
            want = model.start(src, src_lengths)
        got = runtime.start(src, src_lengths)
        assert _close(got.memory, want.memory) < 1e-4
        tokens = torch.full((len(lengths),), SOS_ID)
        for _ in range(6):  # a few decoder steps, each fed the torch model's own choice
            with torch.no_grad():
                logits, want = model.step(tokens, want)
            logp, got = runtime.step(tokens, got)
            assert _close(logp, torch.log_softmax(logits, -1)) < 1e-4
            assert _close(got.h, want.rnn[0] if cell == "lstm" else want.rnn) < 1e-4
            if attention != "none":
                assert _close(got.attn, want.attn) < 1e-4
            tokens = logits.argmax(-1)


@pytest.mark.parametrize("cell,bidirectional,attention,score,feed", MODELS[:2] + MODELS[-2:])
@pytest.mark.parametrize("strategy", [Greedy(), Beam(5, 2)])
def test_greedy_and_beam_give_the_same_tokens(
    tmp_path, cell, bidirectional, attention, score, feed, strategy
):  # noqa: E501
    model = _model(cell, bidirectional, attention, score, feed, eos=-1.0)
    runtime, _ = _export(model, tmp_path)
    g = torch.Generator().manual_seed(1)
    lengths = torch.randint(1, 20, (40,), generator=g).tolist()
    src, src_lengths = _batch(lengths, seed=2)
    limits = max_lengths(src_lengths, 1.5, 3)
    first = torch.full_like(limits, SOS_ID)
    with torch.no_grad():
        want = decode(
            model, model.start(src, src_lengths), strategy, first=first, limits=limits, eos=EOS_ID
        )  # noqa: E501
    got = decode(
        runtime, runtime.start(src, src_lengths), strategy, first=first, limits=limits, eos=EOS_ID
    )  # noqa: E501
    assert [[h.tokens for h in hs] for hs in got] == [[h.tokens for h in hs] for hs in want]
    assert any(len(h[0].tokens) > 1 for h in want)  # not a comparison of empty outputs


def test_a_session_refuses_a_file_that_is_not_a_graph(tmp_path):
    from seqlab.errors import SeqlabError

    bad = tmp_path / "x.onnx"
    bad.write_bytes(b"not a graph")
    with pytest.raises(SeqlabError, match="ONNX Runtime cannot load this graph"):
        Session(bad)


def test_the_step_graph_is_the_module_step_not_the_prepared_one(tmp_path):
    """The prepared step's embedding table is a product over the whole vocabulary: traced, it
    would become a graph computation (or a quantized constant). The export traces the modules."""
    import onnx

    model = _model("lstm", True, "bahdanau", "general", False)
    _export(model, tmp_path)
    graph = onnx.load(str(tmp_path / "step.onnx")).graph
    products = [n for n in graph.node if n.op_type in ("MatMul", "Gemm")]
    embedding = {i.name for i in graph.initializer if "embedding" in i.name}
    assert products and not any(set(n.input) & embedding for n in products)
    assert any(n.op_type == "Gather" and set(n.input) & embedding for n in graph.node)
