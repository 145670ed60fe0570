"""A classifier or tagger reading a long input in chunks answers as one pass does, and its
memory no longer grows with every step's intermediates."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from seqlab.models.classifier import SequenceClassifier
from seqlab.models.tagger import SequenceTagger
from seqlab.nn.chunked import chunking_applies
from seqlab.nn.stack import RecurrentShape

LENGTHS = [23, 9, 16, 2]  # a few chunks of 4; one ends on a chunk boundary
VOCAB = 30


SHAPES = [
    RecurrentShape(cell, 6, 5, num_layers, bidirectional=bidirectional)
    for cell in ("rnn", "lstm", "gru")
    for num_layers in (1, 2)
    for bidirectional in (False, True)
]


def _name(shape: RecurrentShape) -> str:
    return f"{shape.cell}-{shape.num_layers}-{'bi' if shape.bidirectional else 'uni'}"


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    tokens = torch.randint(1, VOCAB, (len(LENGTHS), max(LENGTHS)), generator=g)
    lengths = torch.tensor(LENGTHS)
    tokens[torch.arange(tokens.shape[1]) >= lengths[:, None]] = 0
    return tokens, lengths


def _both_ways(model, *inputs):
    """(one pass, chunks of 4) of ``model(*inputs)`` at inference."""
    with torch.no_grad():
        model.chunk_steps = 0
        whole = model(*inputs)
        model.chunk_steps = 4
        assert chunking_applies(model.rnn, torch.zeros(1, max(LENGTHS), 1), 4)
        chunked = model(*inputs)
    return whole, chunked


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("shape", SHAPES, ids=_name)
def test_classifier_chunked_equals_one_pass(shape, pooling):
    torch.manual_seed(0)
    model = SequenceClassifier(VOCAB, 4, shape, pooling=pooling).eval()
    whole, chunked = _both_ways(model, *_batch())
    torch.testing.assert_close(chunked.softmax(-1), whole.softmax(-1), atol=1e-6, rtol=1e-5)
    assert torch.equal(chunked.argmax(-1), whole.argmax(-1))


@pytest.mark.parametrize("output", ["softmax", "crf"])
@pytest.mark.parametrize("shape", SHAPES, ids=_name)
def test_tagger_chunked_equals_one_pass(shape, output):
    torch.manual_seed(0)
    model = SequenceTagger(VOCAB, 5, shape, output=output).eval()
    tokens, lengths = _batch()
    whole, chunked = _both_ways(model, tokens, lengths)
    torch.testing.assert_close(chunked, whole, atol=1e-6, rtol=1e-5)
    assert model.decode(chunked, lengths) == model.decode(whole, lengths)


def test_training_reads_the_whole_sequence_at_once():
    """With autograd on, chunk_steps is ignored: the gradients are the one pass's own."""
    torch.manual_seed(0)
    model = SequenceTagger(
        VOCAB, 5, RecurrentShape("lstm", 6, 5, 1, bidirectional=True), output="softmax"
    ).eval()
    model.chunk_steps = 4
    assert not chunking_applies(model.rnn, torch.zeros(1, max(LENGTHS), 1), 4)
    model(*_batch()).sum().backward()  # a chunked run under no_grad would have no graph
    assert model.rnn.rnn.weight_hh_l0.grad is not None


# The growth of resident memory over a 50k-token line (tiny bi-LSTM), in chunks then in one
# pass. torch allocates outside tracemalloc's sight, so it is read from Linux's peak RSS
# (VmHWM), reset before each run by writing 5 to /proc/self/clear_refs.
_MEASURE = """
import json, re, sys, torch
from seqlab.models.classifier import SequenceClassifier
from seqlab.models.tagger import SequenceTagger
from seqlab.nn.stack import RecurrentShape
torch.manual_seed(0)
shape = RecurrentShape("lstm", 8, 32, 1, bidirectional=True)
if sys.argv[1] == "classifier":
    model = SequenceClassifier(50, 3, shape, pooling="mean").eval()
else:
    model = SequenceTagger(50, 5, shape, output="softmax").eval()
steps = 50_000
tokens, lengths = torch.randint(1, 50, (1, steps)), torch.tensor([steps])
def kib(field):
    with open("/proc/self/status") as status:
        return int(re.search(field + r":\\s+(\\d+) kB", status.read()).group(1))
def growth(run):
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak starts again from the resident size now
    before = kib("VmRSS")
    out = run()
    return out, kib("VmHWM") - before
with torch.no_grad():
    model(tokens[:, :100], torch.tensor([100]))  # kernels loaded, allocator warm
    chunked, chunked_kib = growth(lambda: model(tokens, lengths))
    model.chunk_steps = 0
    whole, whole_kib = growth(lambda: model(tokens, lengths))
close = torch.allclose(chunked, whole, atol=1e-5, rtol=1e-4)
print(json.dumps({"chunked": chunked_kib, "whole": whole_kib, "close": close}))
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads Linux's /proc/self peak RSS")
@pytest.mark.parametrize(("model", "ratio"), [("classifier", 5), ("tagger", 2)])
def test_chunked_inference_peaks_lower(model, ratio):
    """One pass holds ~1.2 KB per token here (gates and per-step outputs of both directions);
    in chunks the classifier holds the ids and one chunk, the tagger also its input (T, E), the
    outputs (T, 2H) and the emissions (T, K) that it returns, so its bound is looser."""
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE, model], capture_output=True, text=True, check=True
    )
    grown = json.loads(run.stdout.strip().splitlines()[-1])
    assert grown["close"]
    assert grown["whole"] > 20_000  # KiB: the one pass really did grow with the line
    assert grown["chunked"] * ratio < grown["whole"], grown
