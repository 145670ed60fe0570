"""Ensembles: of one model, that model; of a model with itself, that model; of two, the mean
of their probabilities (seq2seq steps, classes) or emissions (tagger); beam search over one is
batch-invariant; and runs whose vocabularies differ are refused in one line."""

from __future__ import annotations

import pytest
import torch
from tests.conftest import _train

from seqlab.data.vocab import EOS_ID, SOS_ID
from seqlab.decode.strategy import Beam, Greedy
from seqlab.errors import SeqlabError
from seqlab.models.ensemble import Ensemble
from seqlab.models.tagger_ensemble import TaggerEnsemble
from seqlab.tasks import load_run
from seqlab.tasks.ensemble import load_ensemble

SOURCES = ["a b c", "b c d", "c d e", "e a b", "d e a", "b d a", "a", "e d c b a"]
TEXTS = ["good great fine", "bad awful poor", "good bad", "fine", "poor great"]
SENTENCES = [["Anna", "visited", "Paris", "."], ["Paris", "visited", "Anna"], ["."]]
STRATEGIES = [Greedy(), Beam(3, n_best=2)]


def _decode(task, model, strategy, batch_size: int = 8):
    ids = [task.src_ids(s) for s in SOURCES]
    return [h for hyps in task.decode(model, ids, strategy, batch_size=batch_size) for h in hyps]


@pytest.fixture(scope="module")
def s2s(tiny_runs):
    return load_run(tiny_runs["s2s"])


@pytest.mark.parametrize("strategy", STRATEGIES, ids=["greedy", "beam"])
def test_an_ensemble_of_one_translates_as_its_model(s2s, strategy):
    task, model = s2s
    alone, ensemble = _decode(task, model, strategy), _decode(task, Ensemble([model]), strategy)
    assert [h.tokens for h in ensemble] == [h.tokens for h in alone]
    assert [h.score for h in ensemble] == [h.score for h in alone]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=["greedy", "beam"])
def test_an_ensemble_of_a_model_with_itself_translates_as_the_model(s2s, strategy):
    task, model = s2s
    alone, twice = _decode(task, model, strategy), _decode(task, Ensemble([model, model]), strategy)
    assert [h.tokens for h in twice] == [h.tokens for h in alone]
    assert all(abs(a.score - b.score) < 1e-5 for a, b in zip(alone, twice, strict=True))


def test_an_ensemble_keeps_its_members_mean_attention(s2s):
    task, model = s2s
    ids = [task.src_ids(s) for s in SOURCES[:3]]
    alone = task.decode(model, ids, Greedy(), attention=True)
    twice = task.decode(Ensemble([model, model]), ids, Greedy(), attention=True)
    for a, b in zip(alone, twice, strict=True):
        assert a[0].attention is not None
        assert torch.allclose(a[0].attention, b[0].attention, atol=1e-6)


def test_a_decoding_step_is_the_log_of_the_mean_probability(tiny_runs, tiny_twins, s2s):
    task, ensemble = load_ensemble(tiny_runs["s2s"], [tiny_twins["s2s"]])
    src = torch.tensor([[*task.src_ids("a b"), EOS_ID]])
    lengths, first = torch.tensor([3]), torch.tensor([SOS_ID])
    with torch.no_grad():
        log_p, _ = ensemble.step(first, ensemble.start(src, lengths))
        probs = [m.step(first, m.start(src, lengths))[0].softmax(-1) for m in ensemble.members]
    assert torch.allclose(log_p.exp(), (probs[0] + probs[1]) / 2, atol=1e-6)
    assert not torch.allclose(log_p.exp(), probs[0], atol=1e-3)  # the twin does count


def test_beam_search_over_an_ensemble_is_batch_invariant(tiny_runs, tiny_twins):
    task, ensemble = load_ensemble(tiny_runs["s2s"], [tiny_twins["s2s"]])
    beam = Beam(4, n_best=2)
    batched, alone = _decode(task, ensemble, beam), _decode(task, ensemble, beam, batch_size=1)
    assert [h.tokens for h in alone] == [h.tokens for h in batched]
    assert all(abs(a.score - b.score) < 1e-6 for a, b in zip(alone, batched, strict=True))


def test_classifier_ensembles_average_the_class_probabilities(tiny_runs, tiny_twins):
    task, model = load_run(tiny_runs["sentiment"])
    ids = [task.encode_text(t) for t in TEXTS]
    alone = task.predict_ids(model, ids)
    assert torch.allclose(task.predict_ids(Ensemble([model]), ids), alone, atol=1e-6)
    assert torch.allclose(task.predict_ids(Ensemble([model, model]), ids), alone, atol=1e-6)
    _, ensemble = load_ensemble(tiny_runs["sentiment"], [tiny_twins["sentiment"]])
    twin = task.predict_ids(ensemble.members[1], ids)
    assert torch.allclose(task.predict_ids(ensemble, ids), (alone + twin) / 2, atol=1e-6)


def test_tagger_ensembles_average_the_emissions_before_viterbi(tiny_runs, tiny_twins):
    task, model = load_run(tiny_runs["ner"])
    rows = [(*task.encode_tokens(s), [0] * len(s)) for s in SENTENCES]
    batch = task.collate(rows)
    alone = task.tag_rows(model, rows)[0]
    one = TaggerEnsemble([model])
    assert task.tag_rows(one, rows)[0] == alone
    assert task.tag_rows(TaggerEnsemble([model, model]), rows)[0] == alone
    assert torch.equal(
        task.loss_and_emissions(one, batch)[2], task.loss_and_emissions(model, batch)[2]
    )
    _, ensemble = load_ensemble(tiny_runs["ner"], [tiny_twins["ner"]])
    first, second = (task.loss_and_emissions(m, batch)[2] for m in ensemble.members)
    mean = task.loss_and_emissions(ensemble, batch)[2]
    assert torch.allclose(mean, (first + second) / 2, atol=1e-6)
    crfs = [m.crf.transitions for m in ensemble.members]
    assert torch.allclose(ensemble.crf.transitions, (crfs[0] + crfs[1]) / 2)


def test_runs_with_other_vocabularies_are_refused(tiny_runs, tiny_twins, tmp_path):
    data = tmp_path / "other.tsv"
    data.write_text("pos\tsplendid superb\nneg\tdreadful grim\n" * 10)
    other = _train(
        tmp_path, "other", "classify", f"{{train: {data}}}", "{embedding_dim: 8, hidden_size: 8}",
        "batch_size: 4, max_steps: 2",
    )  # fmt: skip
    with pytest.raises(SeqlabError, match=r"vocab\.json differs") as e:
        load_ensemble(tiny_runs["sentiment"], [tiny_twins["sentiment"], other])
    assert str(other) in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(SeqlabError, match="vocabulary files"):
        load_ensemble(tiny_runs["s2s"], [tiny_runs["sentiment"]])


def test_a_language_model_is_not_ensembled(tiny_runs):
    with pytest.raises(SeqlabError, match="a lm run cannot be ensembled"):
        load_ensemble(tiny_runs["lm"], [tiny_runs["lm"]])
