import torch

from seqlab.decode.greedy import Picker
from seqlab.decode.strategy import Greedy, Sample


def _pick(logits: torch.Tensor, strategy: Greedy | Sample) -> torch.Tensor:
    """One token per row of logits (B, V), as greedy decoding and sampling choose it."""
    return Picker(strategy, logits.shape[0])(logits, list(range(logits.shape[0])))


def test_sampling_draws_what_torch_multinomial_draws():
    """The exponential race is multinomial's own algorithm: same generator, same tokens."""
    logits = torch.randn(4, 30)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    for _ in range(50):
        ours = _pick(logits, Sample(0.7, generator=g1))
        ref = torch.multinomial((logits / 0.7).softmax(-1), 1, generator=g2).squeeze(-1)
        assert torch.equal(ours, ref)


def test_sampling_frequencies_follow_the_distribution():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    g = torch.Generator().manual_seed(0)
    draws = torch.stack([_pick(probs.log(), Sample(1.0, generator=g)) for _ in range(20_000)])
    freq = torch.bincount(draws.flatten(), minlength=4).float() / draws.numel()
    torch.testing.assert_close(freq, probs[0], atol=0.015, rtol=0)


def test_top_k_and_greedy():
    logits = torch.tensor([[0.0, 3.0, 2.0, -1.0]])
    g = torch.Generator().manual_seed(0)
    assert _pick(logits, Greedy()).item() == 1
    picks = {_pick(logits, Sample(5.0, top_k=2, generator=g)).item() for _ in range(200)}
    assert picks == {1, 2}


def test_a_finished_row_never_changes_another_rows_draws():
    """Noise is drawn for every row of the batch at every step, so a row's samples are the same
    whether the other rows finish early or not."""
    logits = torch.randn(3, 20)
    every = Picker(Sample(1.0, seed=4), 3)
    some = Picker(Sample(1.0, seed=4), 3)
    for _ in range(5):
        all_rows = every(logits, [0, 1, 2])
        last_row = some(logits[2:], [2])
        assert all_rows[2] == last_row[0]


def test_each_group_of_rows_draws_what_it_would_draw_alone():
    """Two callers' rows side by side, each group with its own stream from the same seed: each
    gets the draws it gets alone, even after the other group has finished."""
    logits = torch.randn(5, 20)
    together = Picker(Sample(1.0, seed=4), 5, groups=[2, 3])
    first, second = Picker(Sample(1.0, seed=4), 2), Picker(Sample(1.0, seed=4), 3)
    for step in range(4):
        live = [0, 1, 2, 3, 4] if step < 2 else [3, 4]  # the first group finishes after step 2
        got = together(logits[live], live)
        if step < 2:
            assert torch.equal(got[:2], first(logits[:2], [0, 1]))
        assert torch.equal(got[-2:], second(logits[3:], [1, 2]))


def test_noise_drawn_in_chunks_gives_the_draws_of_step_by_step():
    """A seeded call draws its noise a chunk of steps at a time, up to its horizon: the tokens
    are those of one draw per step, across chunk boundaries, per group, and past the horizon."""
    logits = torch.randn(5, 17)
    chunked = Picker(Sample(0.9, seed=6), 5, groups=[2, 3], horizon=7)
    chunked.chunk = 3
    stepwise = Picker(Sample(0.9, seed=6), 5, groups=[2, 3])  # no horizon: a draw per step
    for step in range(9):  # two steps past the horizon
        live = [0, 1, 2, 3, 4] if step < 4 else [2, 3, 4]  # the first group stops after step 4
        assert torch.equal(chunked(logits[live], live), stepwise(logits[live], live)), step


def test_a_callers_generator_is_drawn_step_by_step():
    """A generator the caller passes is left exactly where one draw per step leaves it."""
    logits = torch.randn(1, 11)
    g1, g2 = torch.Generator().manual_seed(2), torch.Generator().manual_seed(2)
    own = Picker(Sample(1.0, generator=g1), 1, horizon=50)
    for _ in range(3):
        own(logits, [0])
    for _ in range(3):
        torch.empty(1, 11).exponential_(generator=g2)
    assert torch.equal(g1.get_state(), g2.get_state())
