"""The decoder's prepared-weights step gives the logits of the module step, and greedy and beam
search give the same tokens either way, for every wiring, cell and attention score."""

from __future__ import annotations

import pytest
import torch

from seqlab.data.parallel import pad, with_eos
from seqlab.data.vocab import EOS_ID, SOS_ID
from seqlab.decode.loop import decode
from seqlab.decode.search import max_lengths
from seqlab.decode.strategy import Beam, Greedy
from seqlab.models.decoder import Decoder
from seqlab.models.seq2seq import Seq2Seq
from seqlab.nn.stack import RecurrentShape

V = 17
WIRINGS = [  # cell, attention, score, input feeding, layers
    ("lstm", "bahdanau", "general", False, 1),
    ("gru", "bahdanau", "general", False, 2),
    ("rnn", "none", "general", False, 2),
    ("lstm", "luong", "general", True, 1),
    ("gru", "luong", "dot", False, 1),
    ("lstm", "luong", "concat", True, 2),
]


def _model(cell, attention, score, feed, layers, dtype=torch.float64) -> Seq2Seq:
    torch.manual_seed(0)
    shape = RecurrentShape(cell, 8, 10, num_layers=layers, bidirectional=score != "dot")
    m = Seq2Seq(V, V, shape, attention=attention, score=score, input_feed=feed)
    with torch.no_grad():
        m.decoder.out.bias[EOS_ID] += 0.3
    return m.to(dtype).eval()


def _sources(n: int):
    g = torch.Generator().manual_seed(4)
    sources = [torch.randint(4, V, (1 + k % 9,), generator=g).tolist() for k in range(n)]
    return pad([with_eos(s) for s in sources])


@pytest.fixture
def generic():
    """Every step through the modules, then back to the fast step."""
    Decoder.fast = False
    yield
    Decoder.fast = True


def _steps(m: Seq2Seq, tokens: list[torch.Tensor], fast: bool):
    Decoder.fast = fast
    try:
        src, lengths = _sources(3)
        with torch.no_grad():
            state = m.start(src, lengths)
            out = []
            for t in tokens:
                logits, state = m.step(t, state)
                out.append((logits, state.attn))
        return out
    finally:
        Decoder.fast = True


@pytest.mark.parametrize("cell,attention,score,feed,layers", WIRINGS)
def test_fast_step_gives_the_module_steps_logits(cell, attention, score, feed, layers):
    m = _model(cell, attention, score, feed, layers)
    tokens = [torch.randint(3, V, (3,)) for _ in range(5)]
    fast, slow = _steps(m, tokens, True), _steps(m, tokens, False)
    assert m.decoder.__dict__.get("_inference") is not None  # the fast step ran
    for (a, att_a), (b, att_b) in zip(fast, slow, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)
        if att_b is not None:
            torch.testing.assert_close(att_a, att_b, atol=1e-12, rtol=0)


def _search(m: Seq2Seq, strategy, fast: bool):
    Decoder.fast = fast
    try:
        src, lengths = _sources(24)
        limits = max_lengths(lengths, 1.5, 2)
        with torch.inference_mode():
            hyps = decode(
                m,
                m.start(src, lengths),
                strategy,
                first=torch.full_like(limits, SOS_ID),
                limits=limits,
                eos=EOS_ID,
            )
        return [[h.tokens for h in n_best] for n_best in hyps], [h[0].score for h in hyps]
    finally:
        Decoder.fast = True


@pytest.mark.parametrize("cell,attention,score,feed,layers", WIRINGS)
@pytest.mark.parametrize("strategy", [Greedy(), Beam(size=4, n_best=2)])
def test_fast_search_gives_the_same_tokens_in_float32(
    cell, attention, score, feed, layers, strategy
):
    m = _model(cell, attention, score, feed, layers, torch.float32)
    tokens, scores = _search(m, strategy, True)
    ref_tokens, ref_scores = _search(m, strategy, False)
    assert tokens == ref_tokens
    assert scores == pytest.approx(ref_scores, abs=1e-4)


def test_training_and_autograd_take_the_module_step():
    m = _model("lstm", "bahdanau", "general", False, 1)
    src, lengths = _sources(2)
    m.train()
    m.step(torch.tensor([5, 6]), m.start(src, lengths))
    assert m.decoder.__dict__.get("_inference") is None
    m.eval()
    logits, _ = m.step(torch.tensor([5, 6]), m.start(src, lengths))  # autograd on
    assert logits.requires_grad and m.decoder.__dict__.get("_inference") is None


def test_the_fast_step_follows_a_weight_change(generic):
    m = _model("gru", "bahdanau", "general", False, 1)
    tokens = [torch.tensor([4, 5, 6])]
    _steps(m, tokens, True)
    with torch.no_grad():
        m.decoder.out.weight.mul_(2.0)
        m.decoder.rnn.rnn.weight_hh_l0.add_(0.1)
    ((fast, _),) = _steps(m, tokens, True)
    ((slow, _),) = _steps(m, tokens, False)
    torch.testing.assert_close(fast, slow, atol=1e-12, rtol=0)


@pytest.mark.parametrize("lengths", [[5], [5, 5], [5, 3]])
def test_an_unpadded_batch_skips_the_mask_and_keeps_the_logits(lengths):
    """The prepared step masks the attention only when some row has padding; a lone sentence
    (or equal lengths) has none, and its steps still equal the module step's."""
    m = _model("lstm", "bahdanau", "general", False, 1)
    src, lens = pad([with_eos(list(range(4, 4 + n))) for n in lengths])
    tokens = torch.tensor([5] * len(lengths))
    with torch.no_grad():
        state = m.start(src, lens)
        assert state.padded == (len(set(lengths)) > 1)
        assert state.select(torch.tensor([0, 0])).padded == state.padded
        fast, fast_state = m.step(tokens, state)
        Decoder.fast = False
        try:
            slow, slow_state = m.step(tokens, state)
        finally:
            Decoder.fast = True
    torch.testing.assert_close(fast, slow, atol=1e-12, rtol=0)
    torch.testing.assert_close(fast_state.attn, slow_state.attn, atol=1e-12, rtol=0)
    assert fast_state.padded == state.padded
    if state.padded:
        assert (fast_state.attn[-1, lengths[-1] + 1 :] == 0).all()  # padding gets no weight
