"""The CRF output layer (pytorch-crf's ``torchcrf.CRF``) against brute force.

score(y) = start[y0] + sum_t emit[t, y_t] + sum_t trans[y_{t-1}, y_t] + end[y_last]
log Z    = logsumexp over all K^T tag sequences of score(y)   (the forward algorithm)
Viterbi  = argmax over all K^T sequences of score(y)
"""

from __future__ import annotations

import itertools

import torch

from seqlab.models.tagger import SequenceTagger
from seqlab.nn.stack import RecurrentShape


def _score(crf, emissions: torch.Tensor, tags: tuple[int, ...]) -> torch.Tensor:
    s = crf.start_transitions[tags[0]] + crf.end_transitions[tags[-1]]
    for t, y in enumerate(tags):
        s = s + emissions[t, y]
        if t:
            s = s + crf.transitions[tags[t - 1], y]
    return s


def _crf(num_tags: int = 3):
    torch.manual_seed(0)
    model = SequenceTagger(
        10,
        num_tags,
        RecurrentShape(
            cell="lstm",
            embedding_dim=4,
            hidden_size=4,
            num_layers=1,
            dropout=0.0,
            bidirectional=True,
        ),
        output="crf",
    )
    for p in (model.crf.start_transitions, model.crf.end_transitions, model.crf.transitions):
        torch.nn.init.normal_(p)  # make transitions matter
    return model.crf


def test_log_likelihood_equals_brute_force_with_padding():
    crf = _crf()
    emissions = torch.randn(2, 4, 3)
    lengths = [4, 2]
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    tags = torch.tensor([[0, 2, 1, 1], [2, 0, 0, 0]])
    got = crf(emissions, tags, mask=mask, reduction="none")  # (B,)
    for b, n in enumerate(lengths):
        all_scores = torch.stack(
            [_score(crf, emissions[b, :n], y) for y in itertools.product(range(3), repeat=n)]
        )
        gold = _score(crf, emissions[b, :n], tuple(tags[b, :n].tolist()))
        torch.testing.assert_close(got[b], gold - all_scores.logsumexp(0))


def test_viterbi_equals_exhaustive_search():
    crf = _crf(4)
    emissions = torch.randn(3, 5, 4)
    lengths = [5, 3, 1]
    mask = torch.arange(5) < torch.tensor(lengths)[:, None]
    best = crf.decode(emissions, mask=mask)
    for b, n in enumerate(lengths):
        exhaustive = max(
            itertools.product(range(4), repeat=n),
            key=lambda y, b=b, n=n: _score(crf, emissions[b, :n], y).item(),
        )
        assert best[b] == list(exhaustive)


def test_decode_respects_lengths_for_softmax_and_crf():
    torch.manual_seed(0)
    for output in ("softmax", "crf"):
        model = SequenceTagger(
            10,
            3,
            RecurrentShape(
                cell="lstm",
                embedding_dim=4,
                hidden_size=4,
                num_layers=1,
                dropout=0.0,
                bidirectional=True,
            ),
            output=output,
        ).eval()
        tokens = torch.tensor([[4, 5, 6], [7, 0, 0]])
        lengths = torch.tensor([3, 1])
        paths = model.decode(model(tokens, lengths), lengths)
        assert [len(p) for p in paths] == [3, 1]
        alone = model.decode(model(tokens[1:, :1], lengths[1:]), lengths[1:])
        assert paths[1] == alone[0]
