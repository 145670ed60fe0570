"""Chunked inference: the same outputs and final state as one pass over the whole sequence."""

from __future__ import annotations

import pytest
import torch

from seqlab.nn.chunked import chunked_forward, chunked_run, chunking_applies
from seqlab.nn.recurrent import Recurrent

CHUNK = 4
LENGTHS = [19, 10, 3, 8]  # ends mid-chunk, on a chunk boundary, inside the first chunk
STEPS = 21  # padding past the longest, and a last chunk shorter than the others


def _model(mode: str, num_layers: int, bidirectional: bool, **kwargs) -> Recurrent:
    torch.manual_seed(0)
    return Recurrent(mode, 3, 5, num_layers, bidirectional=bidirectional, **kwargs).eval()


def _x() -> torch.Tensor:
    return torch.randn(len(LENGTHS), STEPS, 3, generator=torch.Generator().manual_seed(1))


def _parts(state) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
@torch.no_grad()
def test_chunked_equals_one_pass(mode, num_layers, bidirectional):
    model = _model(mode, num_layers, bidirectional)
    x, lengths = _x(), torch.tensor(LENGTHS)
    assert chunking_applies(model, x, CHUNK)
    whole, whole_state = model(x, lengths)
    chunked, chunked_state = chunked_forward(model, x, lengths, CHUNK)
    assert chunked.shape == whole.shape == (len(LENGTHS), STEPS, model.output_size)
    # equal up to float rounding: the kernels round differently for other batch shapes
    torch.testing.assert_close(chunked, whole, atol=1e-6, rtol=1e-5)
    for c, w in zip(_parts(chunked_state), _parts(whole_state), strict=True):
        torch.testing.assert_close(c, w, atol=1e-6, rtol=1e-5)
    for row, n in enumerate(LENGTHS):  # padded positions stay exactly 0
        assert not chunked[row, n:].any()


@torch.no_grad()
def test_relu_rnn_without_bias_is_chunked_too():
    model = _model("rnn", 1, True, nonlinearity="relu", bias=False)
    x, lengths = _x(), torch.tensor(LENGTHS)
    torch.testing.assert_close(chunked_forward(model, x, lengths, CHUNK)[0], model(x, lengths)[0])


@torch.no_grad()
def test_only_the_top_layer_reaches_the_sink():
    """A sink sees each chunk of the top layer once per direction, from the end backwards."""
    model = _model("gru", 2, True)
    seen = []

    class Record:
        def take(self, chunk, out):
            seen.append((chunk.direction, chunk.start, tuple(chunk.rows.tolist()), out.shape))

    x = _x()
    chunked_run(
        model, lambda rows, steps: x[rows, steps], torch.tensor(LENGTHS), CHUNK, top=Record()
    )
    forward = [s for s in seen if s[0] == 0]
    backward = [s for s in seen if s[0] == 1]
    assert [s[1] for s in forward] == [0, 4, 8, 12, 16]
    assert [s[1] for s in backward] == [16, 12, 8, 4, 0]
    assert forward[1][2] == (0, 1, 3)  # the row of length 3 has left after the first chunk
    assert forward[2][2] == (0, 1)  # and the row of length 8 on the chunk boundary
    assert forward[4][2] == (0,) and forward[4][3] == (1, 3, model.hidden_size)


def test_chunking_applies_at_inference_only():
    model, x = _model("lstm", 1, False), _x()
    with torch.no_grad():
        assert chunking_applies(model, x, CHUNK)
        assert not chunking_applies(model, x, STEPS)  # one chunk holds it all
        assert not chunking_applies(model, x, 0)
        model.impl = "explicit"
        assert not chunking_applies(model, x, CHUNK)
        model.impl = "fused"
        model.train()
        assert not chunking_applies(model, x, CHUNK)
    model.eval()
    assert not chunking_applies(model, x, CHUNK)  # autograd on: training keeps the one pass
