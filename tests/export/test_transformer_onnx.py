"""A Transformer LM on ONNX Runtime against torch: the step and forward graphs within 1e-4
(caches of 0 to 40 positions, primes of different lengths in one batch, learned and sinusoidal
positions), the same tokens from greedy, sampling and beam search through the one decoding
loop, and an int8 export close to fp32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tests.export.conftest import export_transformer

from seqlab.data.batching import pad_ids
from seqlab.data.vocab import EOS_ID
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Beam, Greedy, Sample
from seqlab.export.transformer_graphs import transformer_lm_graphs
from seqlab.models.transformer_lm import TransformerLM
from seqlab.nn.transformer_block import BlockShape
from seqlab.runtime.ort_transformer import OrtTransformerLM

V, MAX_LEN = 30, 64


def _model(positions: str = "learned", impl: str = "fused") -> TransformerLM:
    torch.manual_seed(0)
    block = BlockShape(16, 2, 32, impl=impl)
    model = TransformerLM(V, block, num_layers=2, max_len=MAX_LEN, positions=positions)
    with torch.no_grad():  # GPT's initialisation gives nearly uniform outputs: sharpen them
        model.embedding.weight.normal_(0.0, 0.5)
    return model.eval()


def _export(model: TransformerLM, root: Path, int8: bool = False) -> OrtTransformerLM:
    graphs = transformer_lm_graphs(model)
    return OrtTransformerLM(root, export_transformer(graphs, root, "lm", int8), threads=1)


def _primes(lengths: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return pad_ids([torch.randint(4, V, (n,), generator=g).tolist() for n in lengths])


def _close(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.float64) - b.double().numpy()).max())


@pytest.mark.parametrize("positions,impl", [("learned", "fused"), ("sinusoidal", "explicit")])
def test_every_output_within_1e4(tmp_path, positions, impl):
    model = _model(positions, impl)
    runtime = _export(model, tmp_path)
    for lengths in ([1], [7], [40], [1, 7, 40, 3, 12]):
        prime, prime_lengths = _primes(lengths)
        with torch.no_grad():
            want = model.start(prime, prime_lengths)
            window, _ = model(prime)
        got = runtime.start(prime, prime_lengths)
        assert _close(runtime(prime)[0], torch.log_softmax(window, -1)) < 1e-4
        for layer, cache in enumerate(want.caches):
            assert _close(got.keys[layer], cache.keys) < 1e-4
            assert _close(got.values[layer], cache.values) < 1e-4
        assert (got.real == want.real.numpy()).all()
        tokens = prime[:, 0]
        for _ in range(6):  # a few steps, each fed the torch model's own choice
            with torch.no_grad():
                logits, want = model.step(tokens, want)
            logp, got = runtime.step(tokens, got)
            assert _close(logp, torch.log_softmax(logits, -1)) < 1e-4
            assert _close(got.values[-1], want.caches[-1].values) < 1e-4
            assert (got.positions == want.positions.numpy()).all()
            tokens = logits.argmax(-1)


def test_a_first_step_reads_an_empty_cache(tmp_path):
    model = _model()
    runtime = _export(model, tmp_path)
    tokens = torch.tensor([5, 6, 7])
    with torch.no_grad():
        logits, _ = model.step(tokens)
    logp, state = runtime.step(tokens)
    assert _close(logp, torch.log_softmax(logits, -1)) < 1e-4
    assert state.keys.shape == (2, 3, 2, 1, 8)  # (L, B, h, t, d_k)
    assert (runtime.vocab_size, runtime.max_len) == (model.vocab_size, model.max_len)


def _generate(model, primes: list[list[int]], strategy, length: int = 12):
    """As the LM task does: all but each prime's last token read first, then decoded."""
    context, lengths = pad_ids([p[:-1] for p in primes])
    state = model.start(context[:, : int(lengths.max())], lengths)
    hyps = decode(
        model,
        state,
        strategy,
        first=torch.tensor([p[-1] for p in primes]),
        limits=torch.full((len(primes),), length),
        eos=EOS_ID if isinstance(strategy, Beam) else None,
    )
    return [[h.tokens for h in hs] for hs in hyps]


@pytest.mark.parametrize("strategy", [Greedy(), Sample(0.8, seed=3), Beam(4, 2)])
def test_generation_gives_the_torch_models_tokens(tmp_path, strategy):
    model = _model()
    runtime = _export(model, tmp_path)
    primes = [[4, 5, 6, 7], [8], [9, 10, 11, 12, 13, 14, 15], [4, 5, 6, 7]]
    with torch.no_grad():
        want = _generate(model, primes, strategy)
    got = _generate(runtime, primes, strategy)
    assert got == want
    assert len({tuple(hs[0]) for hs in want}) > 1  # rows differ: not a constant output
    assert all(len(hs[0]) > 1 for hs in want)


def test_int8_is_close_to_fp32_and_quantizes_the_projections(tmp_path):
    import onnx

    model = _model()
    runtime = _export(model, tmp_path, int8=True)
    ops = {n.op_type for n in onnx.load(str(tmp_path / "step.onnx")).graph.node}
    assert {"MatMulInteger", "DynamicQuantizeLinear"} <= ops
    prime, lengths = _primes([5, 9])
    with torch.no_grad():
        want = model.start(prime, lengths)
        logits, _ = model.step(prime[:, 0], want)
    logp, _ = runtime.step(prime[:, 0], runtime.start(prime, lengths))
    assert 0 < _close(logp, torch.log_softmax(logits, -1)) < 0.1


@pytest.mark.parametrize("strategy", [Greedy(), Beam(3, 1)])
def test_generation_past_max_len_slides_the_window_as_torch_does(tmp_path, strategy):
    model = _model()
    runtime = _export(model, tmp_path)
    long = torch.randint(4, V, (MAX_LEN + 9,), generator=torch.Generator().manual_seed(4))
    primes = [long.tolist(), long[:50].tolist(), [7, 8]]  # longer than the window, and shorter
    with torch.no_grad():
        want = _generate(model, primes, strategy, length=MAX_LEN)
    got = _generate(runtime, primes, strategy, length=MAX_LEN)
    assert got == want
    assert max(len(hs[0]) for hs in want) > MAX_LEN // 2  # the shorter rows slid too
