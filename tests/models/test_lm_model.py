import pytest
import torch

from seqlab.models.lm import LanguageModel
from seqlab.nn.stack import RecurrentShape


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_step_equals_forward(cell):
    torch.manual_seed(0)
    model = (
        LanguageModel(
            30,
            RecurrentShape(cell=cell, embedding_dim=8, hidden_size=16, num_layers=2, dropout=0.0),
        )
        .double()
        .eval()
    )
    tokens = torch.randint(0, 30, (3, 7))
    logits, state = model(tokens)
    s = None
    for t in range(7):
        step_logits, s = model.step(tokens[:, t], s)
        torch.testing.assert_close(step_logits, logits[:, t], atol=1e-10, rtol=0)


def test_tied_weights_with_projection_share_storage():
    model = LanguageModel(
        50,
        RecurrentShape(cell="lstm", embedding_dim=12, hidden_size=20, num_layers=1, dropout=0.2),
        tie_weights=True,
    )
    assert model.output.weight is model.embedding.weight
    assert model.proj is not None and model.proj.out_features == 12
    logits, _ = model(torch.randint(0, 50, (2, 5)))
    assert logits.shape == (2, 5, 50)


def test_explicit_impl_matches_fused_in_the_model():
    torch.manual_seed(1)
    model = (
        LanguageModel(
            20,
            RecurrentShape(cell="gru", embedding_dim=6, hidden_size=10, num_layers=2, dropout=0.0),
        )
        .double()
        .eval()
    )
    tokens = torch.randint(0, 20, (2, 9))
    fused, _ = model(tokens)
    model.rnn.impl = "explicit"
    explicit, _ = model(tokens)
    torch.testing.assert_close(explicit, fused, atol=1e-10, rtol=0)


@pytest.mark.parametrize("layers", [1, 2])
def test_inference_step_matches_forward_and_follows_weight_changes(layers):
    torch.manual_seed(2)
    model = (
        LanguageModel(
            25,
            RecurrentShape(
                cell="lstm", embedding_dim=8, hidden_size=16, num_layers=layers, dropout=0.0
            ),
        )
        .double()
        .eval()
    )
    tokens = torch.randint(0, 25, (3, 6))
    with torch.no_grad():
        logits, _ = model(tokens)
        s = None
        for t in range(6):
            step_logits, s = model.step(tokens[:, t], s)
            torch.testing.assert_close(step_logits, logits[:, t], atol=1e-10, rtol=0)
        assert model.__dict__.get("_stepper") is not None  # the fast path was used
        model.rnn.rnn.weight_hh_l0.mul_(0.5)  # a weight changes: the tables must follow
        logits, _ = model(tokens[:, :1])
        step_logits, _ = model.step(tokens[:, 0], None)
        torch.testing.assert_close(step_logits, logits[:, 0], atol=1e-10, rtol=0)


def test_adaptive_softmax_is_a_distribution_and_targets_give_its_nll():
    torch.manual_seed(2)
    model = LanguageModel(
        40,
        RecurrentShape(cell="lstm", embedding_dim=8, hidden_size=12, num_layers=1, dropout=0.0),
        softmax="adaptive",
    ).double()
    model.eval()
    tokens, targets = torch.randint(0, 40, (3, 6)), torch.randint(0, 40, (3, 6))
    logp, _ = model(tokens)
    assert logp.shape == (3, 6, 40)
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(3, 6, dtype=torch.float64))
    nll, _ = model(tokens, targets=targets)
    expected = -logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(nll, expected.float(), atol=1e-5, rtol=0)
    s = None
    for t in range(6):
        step_logp, s = model.step(tokens[:, t], s)
        torch.testing.assert_close(step_logp, logp[:, t], atol=1e-10, rtol=0)


def test_full_softmax_targets_give_cross_entropy():
    torch.manual_seed(3)
    model = LanguageModel(
        25, RecurrentShape(cell="lstm", embedding_dim=6, hidden_size=10, num_layers=1, dropout=0.0)
    ).eval()
    tokens, targets = torch.randint(0, 25, (2, 5)), torch.randint(0, 25, (2, 5))
    logits, _ = model(tokens)
    nll, _ = model(tokens, targets=targets)
    ce = torch.nn.functional.cross_entropy(
        logits.flatten(0, 1), targets.flatten(), reduction="none"
    )
    torch.testing.assert_close(nll, ce.view(2, 5))


def test_adaptive_softmax_refuses_tied_weights():
    with pytest.raises(ValueError, match="tie_weights"):
        LanguageModel(
            40,
            RecurrentShape(cell="lstm", embedding_dim=8, hidden_size=8, num_layers=2, dropout=0.2),
            softmax="adaptive",
            tie_weights=True,
        )


@pytest.mark.parametrize("head", ["full", "tied", "tied-projected", "adaptive"])
def test_the_prepared_step_follows_the_output_layer(head):
    """The prepared step keeps its own transposed copy of the output layer: it must equal the
    model's forward for every head, and follow a change to the output weights."""
    torch.manual_seed(3)
    hidden = 12 if head == "tied-projected" else 8
    model = LanguageModel(
        30,
        RecurrentShape(cell="lstm", embedding_dim=8, hidden_size=hidden, dropout=0.0),
        tie_weights=head.startswith("tied"),
        softmax="adaptive" if head == "adaptive" else "full",
        cutoffs=[10] if head == "adaptive" else (),
    )
    model = model.double().eval()
    tokens = torch.randint(0, 30, (2, 4))
    with torch.no_grad():
        for _round in range(2):
            logits, _ = model(tokens)
            s = None
            for t in range(4):
                step_logits, s = model.step(tokens[:, t], s)
                torch.testing.assert_close(step_logits, logits[:, t], atol=1e-10, rtol=0)
            assert model.__dict__.get("_stepper") is not None
            head_layer = model.output.head if head == "adaptive" else model.output
            head_layer.weight.mul_(1.5)  # the next round must see it
            if head_layer.bias is not None:
                head_layer.bias.add_(0.25)
