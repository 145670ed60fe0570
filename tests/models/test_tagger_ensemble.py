"""The tagger ensemble on untrained taggers: softmax taggers take the argmax of the mean
emissions, a member that reads characters gets them beside one that does not, and taggers with
and without a CRF are refused together."""

from __future__ import annotations

import pytest
import torch

from seqlab.errors import SeqlabError
from seqlab.models.tagger import SequenceTagger
from seqlab.models.tagger_ensemble import TaggerEnsemble
from seqlab.nn.stack import RecurrentShape

SHAPE = RecurrentShape(
    cell="lstm", embedding_dim=8, hidden_size=6, num_layers=1, dropout=0.0, bidirectional=True
)


def _tagger(seed: int, output: str = "softmax", chars: str = "none") -> SequenceTagger:
    torch.manual_seed(seed)
    return SequenceTagger(20, 5, SHAPE, output=output, num_chars=12, char_features=chars).eval()


def test_softmax_taggers_take_the_argmax_of_the_mean_emissions():
    members = [_tagger(0), _tagger(1, chars="cnn")]
    ensemble = TaggerEnsemble(members).eval()
    assert ensemble.chars is not None and ensemble.crf is None
    tokens, lengths = torch.randint(1, 20, (3, 6)), torch.tensor([6, 4, 1])
    chars = torch.randint(1, 12, (3, 6, 4))
    with torch.no_grad():
        mean = ensemble(tokens, lengths, chars)
        each = [m(tokens, lengths, chars) for m in members]
    assert torch.allclose(mean, (each[0] + each[1]) / 2, atol=1e-6)
    best = mean.argmax(-1)
    tags = ensemble.decode(mean, lengths)
    assert tags == [best[i, :n].tolist() for i, n in enumerate(lengths.tolist())]
    assert tags != members[0].decode(each[0], lengths) or tags != members[1].decode(
        each[1], lengths
    )


def test_taggers_with_and_without_a_crf_are_refused_together():
    with pytest.raises(SeqlabError, match="cannot be ensembled"):
        TaggerEnsemble([_tagger(0, "crf"), _tagger(1, "softmax")])
