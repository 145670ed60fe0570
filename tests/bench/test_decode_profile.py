"""bench._decode_profile on a tiny language model decoded through the real loop: the parts add
up, the patches come off, and the Python-op count sees a change in the loop."""

from __future__ import annotations

import pytest
import torch

from bench import _decode_profile as lp
from seqlab.decode.beam import BeamSearch
from seqlab.decode.greedy import Picker
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Beam, Sample
from seqlab.models.lm import LanguageModel
from seqlab.models.lm_inference import LMInference
from seqlab.nn.stack import RecurrentShape


class Texts:
    """Stands in for a task's text method."""

    def piece(self, token: int) -> str:
        return chr(97 + token % 26)


def _model() -> LanguageModel:
    torch.manual_seed(0)
    shape = RecurrentShape(cell="lstm", embedding_dim=8, hidden_size=16, num_layers=1, dropout=0.0)
    return LanguageModel(12, shape).eval()


def _generate(model, texts: Texts, strategy, steps: int = 40):
    with torch.inference_mode():  # as the tasks read a prime: through the prepared step
        state = model.start(torch.tensor([[3, 4]]))
    hyps = decode(
        model,
        state,
        strategy,
        first=torch.tensor([5]),
        limits=torch.tensor([steps]),
        eos=None if isinstance(strategy, Sample) else 2,
    )
    return "".join(texts.piece(t) for t in hyps[0][0].tokens)


@pytest.fixture(params=[True, False], ids=["prepared", "module"])
def fast(request):
    """The prepared step, or every step through the modules (``decoding_step`` then gives the
    model's own ``step``, which the profile times once, not twice)."""
    LanguageModel.fast = request.param
    yield request.param
    LanguageModel.fast = True


def test_the_split_covers_every_step_and_the_patches_come_off(fast):
    model, texts = _model(), Texts()
    picker, advance = Picker.__call__, BeamSearch.advance
    want = _generate(model, texts, Sample(0.9, seed=3))
    for strategy in (Sample(0.9, seed=3), Beam(3)):
        split = lp.split_call(
            lambda strategy=strategy: _generate(model, texts, strategy), model, texts, ("piece",)
        )
        assert set(split) == {*lp.PARTS, "total"}
        assert split["step"] > 0 and split["choice"] > 0 and split["text"] > 0
        assert split["rest"] > 0  # the loop's own work is never all counted as the step
        parts = sum(split[p] for p in lp.PARTS)
        assert abs(parts - split["total"]) <= 1e-6 * split["total"] + 1e-9
    assert Picker.__call__ is picker and BeamSearch.advance is advance
    assert not {"step", "start", "decoding_step"} & set(model.__dict__)
    assert "piece" not in texts.__dict__
    assert _generate(model, texts, Sample(0.9, seed=3)) == want  # profiling changed nothing


def test_python_ops_count_what_the_loop_calls():
    model, texts = _model(), Texts()
    run = lambda: _generate(model, texts, Sample(0.9, seed=3))  # noqa: E731
    base = lp.python_ops(run, model)
    assert base > 10  # a step is a few dozen calls at least
    step = LMInference.step  # the prepared step, which the decoding loop calls

    def slower(self, tokens, state=None):
        for _ in range(5):
            len(())  # five more calls into C per step
        return step(self, tokens, state)

    LMInference.step = slower
    try:
        # the five calls and slower itself (per step: a mean, so compared with float tolerance)
        assert lp.python_ops(run, model) == pytest.approx(base + 6)
    finally:
        LMInference.step = step
