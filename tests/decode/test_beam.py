"""Decoding: beam size 1 equals greedy; a sentence decodes the same alone or in a batch of 32;
n-best lists are ranked; length penalties."""

from __future__ import annotations

import pytest
import torch

from seqlab.data.parallel import pad, with_eos
from seqlab.data.vocab import EOS_ID, SOS_ID
from seqlab.decode.loop import decode
from seqlab.decode.search import length_penalty, max_lengths
from seqlab.decode.strategy import Beam, Greedy
from seqlab.models.seq2seq import Seq2Seq
from seqlab.nn.stack import RecurrentShape

V = 12  # a small vocabulary makes <eos> likely, so both stopping paths are exercised
CONFIGS = [("gru", "bahdanau", False), ("lstm", "luong", True), ("rnn", "none", False)]


def _model(cell: str, attention: str, feed: bool, eos_bias: float = 0.0) -> Seq2Seq:
    """A random model; ``eos_bias`` makes <eos> likelier, so hypotheses finish early."""
    torch.manual_seed(0)
    m = Seq2Seq(
        V,
        V,
        RecurrentShape(
            cell=cell,
            embedding_dim=8,
            hidden_size=10,
            num_layers=2,
            dropout=0.0,
            bidirectional=True,
        ),
        attention=attention,
        input_feed=feed,
    )
    with torch.no_grad():
        m.decoder.out.bias[EOS_ID] += eos_bias
    return m.double().eval()


def _sources(n: int, seed: int = 3) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 9, (n,), generator=g).tolist()
    return [torch.randint(4, V, (k,), generator=g).tolist() for k in lengths]


def _encode(m: Seq2Seq, sources: list[list[int]]):
    src, lengths = pad([with_eos(s) for s in sources])
    return m.encode(src, lengths), max_lengths(lengths, 1.5, 2)


class Counting:
    """A model whose ``step`` records how many rows it was given."""

    log_probs = False

    def __init__(self, model: Seq2Seq):
        self.model, self.rows = model, []

    def encode(self, src, lengths):
        return self.model.encode(src, lengths)

    def step(self, tokens, state):
        self.rows.append(tokens.shape[0])
        return self.model.step(tokens, state)

    def select(self, state, index):
        return self.model.select(state, index)


def _run(m, sources, strategy, compact=True):
    state, limits = _encode(m, sources)
    first = torch.full_like(limits, SOS_ID)
    return decode(
        m, state, strategy, first=first, limits=limits, eos=EOS_ID, attention=True, compact=compact
    )


def _greedy(m, sources, compact=True):
    return [h[0] for h in _run(m, sources, Greedy(), compact)]


def _beam(m, sources, k, n_best=1, penalty="gnmt"):
    return _run(m, sources, Beam(k, n_best, penalty))


@pytest.mark.parametrize("eos_bias", [0.0, 1.0])
@pytest.mark.parametrize("cell,attention,feed", CONFIGS)
def test_beam_one_equals_greedy(cell, attention, feed, eos_bias):
    m, sources = _model(cell, attention, feed, eos_bias), _sources(8)
    greedy = _greedy(m, sources)
    beam = [h[0] for h in _beam(m, sources, 1, penalty="none")]
    assert [h.tokens for h in greedy] == [h.tokens for h in beam]
    assert [h.finished for h in greedy] == [h.finished for h in beam]
    assert all(abs(g.score - b.score) < 1e-9 for g, b in zip(greedy, beam, strict=True))
    assert all(h.finished for h in greedy) == (eos_bias > 0)  # both stopping paths covered


@pytest.mark.parametrize("cell,attention,feed", CONFIGS)
def test_batch_of_one_equals_batch_of_32(cell, attention, feed):
    m, sources = _model(cell, attention, feed, eos_bias=0.5), _sources(32, seed=5)
    batch_greedy, batch_beam = _greedy(m, sources), _beam(m, sources, 4, n_best=2)
    for i in (0, 7, 31):
        alone_g, alone_b = _greedy(m, [sources[i]])[0], _beam(m, [sources[i]], 4, n_best=2)[0]
        assert alone_g.tokens == batch_greedy[i].tokens
        assert abs(alone_g.score - batch_greedy[i].score) < 1e-9
        assert [h.tokens for h in alone_b] == [h.tokens for h in batch_beam[i]]
        assert all(
            abs(a.score - b.score) < 1e-9 for a, b in zip(alone_b, batch_beam[i], strict=True)
        )
        if attention != "none":
            width = len(sources[i]) + 1
            assert torch.allclose(alone_g.attention, batch_greedy[i].attention[:, :width])
            assert torch.all(batch_greedy[i].attention[:, width:] == 0)


def test_finished_sentences_leave_the_batch():
    m, sources = _model("gru", "bahdanau", False, eos_bias=0.5), _sources(32, seed=5)
    counting = Counting(m)
    hyps = _run(counting, sources, Beam(4, 2))
    rows = counting.rows
    assert rows[0] == 32 * 4 and all(r % 4 == 0 for r in rows)
    assert rows == sorted(rows, reverse=True) and rows[-1] < rows[0]  # shrinks as they finish
    assert len(hyps) == 32 and all(len(h) == 2 for h in hyps)
    # that each sentence's result is its own, in input order: test_batch_of_one_equals_batch_of_32


@pytest.mark.parametrize("eos_bias", [0.0, 0.35])  # rows end at their limits / also at <eos>
@pytest.mark.parametrize("cell,attention,feed", CONFIGS)
def test_greedy_drops_finished_rows_without_changing_results(cell, attention, feed, eos_bias):
    m, sources = _model(cell, attention, feed, eos_bias), _sources(32, seed=5)
    counting = Counting(m)
    kept, dropped = _greedy(m, sources, compact=False), _greedy(counting, sources)
    rows = counting.rows
    assert rows[0] == 32 and rows == sorted(rows, reverse=True)
    assert rows[-1] < rows[0] or len(rows) == 1
    for a, b in zip(kept, dropped, strict=True):
        assert a.tokens == b.tokens and a.finished == b.finished
        assert abs(a.score - b.score) < 1e-9
        if attention != "none":
            assert a.attention.shape == b.attention.shape
            assert torch.allclose(a.attention, b.attention)  # fewer rows: float rounding only


def test_n_best_ranked_distinct_and_attention_shapes():
    m, sources = _model("gru", "bahdanau", False, eos_bias=1.0), _sources(4)
    width = max(len(s) for s in sources) + 1  # attention rows span the padded batch
    for hyps in _beam(m, sources, 5, n_best=3):
        assert len(hyps) == 3
        scores = [h.score for h in hyps]
        assert scores == sorted(scores, reverse=True)
        assert len({tuple(h.tokens) for h in hyps}) == 3
        for h in hyps:
            assert h.attention.shape == (len(h.tokens) + h.finished, width)
            assert torch.allclose(h.attention.sum(-1), torch.ones(1, dtype=torch.float64))


def test_beam_finds_at_least_greedy_log_probability():
    m, sources = _model("lstm", "luong", True), _sources(8)
    greedy = _greedy(m, sources)
    beam = [h[0] for h in _beam(m, sources, 5, penalty="none")]
    assert all(b.score >= g.score - 1e-9 for g, b in zip(greedy, beam, strict=True))


def test_length_penalties_and_limits():
    assert length_penalty(7, "none") == 1.0
    assert length_penalty(7, "avg") == 7.0
    assert length_penalty(1, "gnmt", 0.6) == 1.0
    assert length_penalty(10, "gnmt", 1.0) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        length_penalty(3, "bogus")
    assert max_lengths(torch.tensor([1, 4]), 1.5, 5).tolist() == [6, 11]
