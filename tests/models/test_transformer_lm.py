"""The GPT-style language model: step == forward, and cached decoding through the one loop equals
recomputing the whole prefix, token for token."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from seqlab.analysis.params import param_table_from_module
from seqlab.decode.loop import decode
from seqlab.decode.strategy import Beam, Greedy, Sample
from seqlab.models.transformer_lm import TransformerLM
from seqlab.nn.transformer_block import BlockShape

VOCAB, EOS = 13, 1


def _model(positions: str = "learned", impl: str = "fused") -> TransformerLM:
    torch.manual_seed(0)
    shape = BlockShape(d_model=16, num_heads=2, dim_feedforward=32, activation="gelu", impl=impl)
    model = TransformerLM(VOCAB, shape, num_layers=2, max_len=32, positions=positions)
    return model.double().eval()


class Recompute:
    """The reference: no cache, the state is the prefix so far (B, t), and every step runs the
    whole prefix through the model again (O(t^2) per step)."""

    log_probs = False

    def __init__(self, model: TransformerLM):
        self.model = model

    def step(self, tokens: Tensor, prefix: Tensor) -> tuple[Tensor, Tensor]:
        prefix = torch.cat([prefix, tokens.unsqueeze(1)], dim=1)  # (B, t + 1)
        logits, _ = self.model(prefix)  # (B, t + 1, V), no state: nothing cached
        return logits[:, -1], prefix

    @staticmethod
    def select(prefix: Tensor, index: Tensor) -> Tensor:
        return prefix.index_select(0, index)


def _decode(model, state, strategy, first: Tensor, length: int):
    limits = torch.full((first.shape[0],), length)
    hyps = decode(model, state, strategy, first=first, limits=limits, eos=EOS)
    return [[h.tokens for h in sentence] for sentence in hyps]


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
@pytest.mark.parametrize("impl", ["fused", "explicit"])
def test_step_equals_forward(positions, impl):
    model = _model(positions, impl)
    tokens = torch.randint(0, VOCAB, (3, 7), generator=torch.Generator().manual_seed(1))
    logits, _ = model(tokens)
    state = None
    for t in range(7):
        step_logits, state = model.step(tokens[:, t], state)
        torch.testing.assert_close(step_logits, logits[:, t], atol=1e-10, rtol=0)
    assert state.caches[0].length == 7 and state.positions.tolist() == [7, 7, 7]


@pytest.mark.parametrize(
    "strategy", [Greedy(), Beam(size=3, n_best=2), Sample(top_k=5, seed=3)], ids=repr
)
def test_cached_decoding_through_the_loop_equals_recomputing_the_prefix(strategy):
    model = _model()
    prime = torch.randint(2, VOCAB, (4, 5), generator=torch.Generator().manual_seed(2))
    cached = _decode(model, model.start(prime[:, :-1]), strategy, prime[:, -1], 12)
    recomputed = _decode(Recompute(model), prime[:, :-1], strategy, prime[:, -1], 12)
    assert cached == recomputed
    assert any(len(tokens) > 3 for sentence in cached for tokens in sentence)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_primes_of_different_lengths_decode_as_if_alone(positions):
    model = _model(positions)
    g = torch.Generator().manual_seed(4)
    primes = [torch.randint(2, VOCAB, (n,), generator=g) for n in (5, 2, 1, 4)]
    lengths = torch.tensor([len(p) - 1 for p in primes])  # all but the last token are read
    context = torch.zeros(len(primes), int(lengths.max()), dtype=torch.long)  # right padded
    for row, prime in enumerate(primes):
        context[row, : len(prime) - 1] = prime[:-1]
    first = torch.stack([p[-1] for p in primes])
    state = model.start(context, lengths)
    batched = _decode(model, state, Greedy(), first, 10)
    step_logits, _ = model.step(first, state)  # (B, V)
    for row, prime in enumerate(primes):
        alone = _decode(Recompute(model), prime[None, :-1], Greedy(), prime[-1:], 10)
        assert batched[row] == alone[0]
        logits, _ = model(prime[None])  # the whole prime, alone, no padding
        torch.testing.assert_close(step_logits[row], logits[0, -1], atol=1e-10, rtol=0)


def test_targets_give_the_per_token_loss_and_weights_are_tied():
    model = _model()
    tokens = torch.randint(0, VOCAB, (2, 6), generator=torch.Generator().manual_seed(5))
    logits, _ = model(tokens[:, :-1])
    nll, _ = model(tokens[:, :-1], targets=tokens[:, 1:])
    expected = torch.nn.functional.cross_entropy(
        logits.transpose(1, 2), tokens[:, 1:], reduction="none"
    )
    torch.testing.assert_close(nll, expected.float())
    assert model.output.weight is model.embedding.weight


def test_positions_beyond_max_len_are_an_error_and_params_count_every_weight():
    model = _model()
    with pytest.raises(ValueError, match="beyond max_len 32"):
        model(torch.zeros(1, 33, dtype=torch.long))
    table = param_table_from_module(model)
    assert table.pytorch_total == sum(p.numel() for p in model.parameters())


def test_generation_slides_its_window_past_max_len():
    """Past ``max_len`` positions, each step equals the model run afresh on the window it keeps:
    the last max_len // 2 tokens read again at the slide, and every token since."""
    torch.manual_seed(0)
    shape = BlockShape(d_model=16, num_heads=2, dim_feedforward=32)
    model = TransformerLM(VOCAB, shape, num_layers=2, max_len=8).double().eval()
    tokens = torch.randint(0, VOCAB, (2, 21), generator=torch.Generator().manual_seed(3))
    state, window = None, tokens[:, :0]
    for t in range(tokens.shape[1]):
        if window.shape[1] >= 8:
            window = window[:, -4:]
        window = torch.cat([window, tokens[:, t : t + 1]], dim=1)
        logits, state = model.step(tokens[:, t], state)
        torch.testing.assert_close(logits, model(window)[0][:, -1], atol=1e-10, rtol=0)
    assert int(state.positions.max()) < 8


def test_a_prime_longer_than_the_window_is_read_from_its_end():
    torch.manual_seed(0)
    shape = BlockShape(d_model=16, num_heads=2, dim_feedforward=32)
    model = TransformerLM(VOCAB, shape, num_layers=1, max_len=8).double().eval()
    prime = torch.randint(0, VOCAB, (2, 12), generator=torch.Generator().manual_seed(4))
    lengths = torch.tensor([12, 9])
    state = model.start(prime, lengths)
    for row, n in enumerate(lengths.tolist()):
        alone = model.start(prime[row : row + 1, n - 4 : n])
        nxt = torch.tensor([5])
        a, _ = model.step(nxt, model.select(state, torch.tensor([row])))
        b, _ = model.step(nxt, alone)
        torch.testing.assert_close(a, b, atol=1e-10, rtol=0)
