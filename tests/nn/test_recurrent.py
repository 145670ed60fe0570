"""Recurrent: explicit == fused, padding never changes a result, step == forward, state helpers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.nn.recurrent import Recurrent, detach_state, map_state

MODES = ["rnn", "lstm", "gru"]
BATCH, STEPS, INPUT, HIDDEN = 3, 5, 3, 4
LENGTHS = [5, 2, 4]  # the longest equals STEPS, one is much shorter


def _model(mode: str, num_layers: int = 1, bidirectional: bool = False, **kwargs) -> Recurrent:
    torch.manual_seed(0)
    return Recurrent(
        mode, INPUT, HIDDEN, num_layers, bidirectional=bidirectional, **kwargs
    ).double()


def _x(batch: int = BATCH, steps: int = STEPS, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, steps, INPUT, generator=g, dtype=torch.float64)


def _states(state) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def _run(model: Recurrent, impl: str, x: torch.Tensor, lengths=None, state=None) -> dict:
    """Forward and backward of a loss touching output and final state; returns all results."""
    model.impl = impl
    model.zero_grad()
    x = x.clone().requires_grad_(True)
    if state is not None:
        state = map_state(state, lambda t: t.clone().requires_grad_(True))
    output, final = model(x, lengths, state)
    g = torch.Generator().manual_seed(2)
    loss = (output * torch.randn(output.shape, generator=g, dtype=output.dtype)).sum()
    for s in _states(final):
        loss = loss + (s * torch.randn(s.shape, generator=g, dtype=s.dtype)).sum()
    loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    grads["input"] = x.grad
    for i, s in enumerate(_states(state) if state is not None else ()):
        grads[f"state{i}"] = s.grad
    return {"output": output.detach(), "final": detach_state(final), "grads": grads}


# float64 explicit and fused kernels differ by about 1e-15; a float32 round trip anywhere moves a
# value by about 1e-8, so this tolerance catches one (test_tolerance_catches_a_float32_round_trip)
EXACT = {"atol": 1e-12, "rtol": 1e-12}


def _assert_same(a: dict, b: dict) -> None:
    torch.testing.assert_close(a["output"], b["output"], **EXACT)
    for sa, sb in zip(_states(a["final"]), _states(b["final"]), strict=True):
        torch.testing.assert_close(sa, sb, **EXACT)
    assert a["grads"].keys() == b["grads"].keys()
    for name in a["grads"]:
        torch.testing.assert_close(a["grads"][name], b["grads"][name], **EXACT, msg=name)


@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "padded"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("mode", MODES)
def test_explicit_equals_fused(
    mode: str, bidirectional: bool, num_layers: int, with_lengths: bool
) -> None:
    model = _model(mode, num_layers, bidirectional)
    lengths = torch.tensor(LENGTHS) if with_lengths else None
    x = _x()
    fused = _run(model, "fused", x, lengths)
    explicit = _run(model, "explicit", x, lengths)
    _assert_same(fused, explicit)
    assert fused["output"].shape == (BATCH, STEPS, model.output_size)
    if with_lengths:
        for b, n in enumerate(LENGTHS):
            assert (explicit["output"][b, n:] == 0).all()


@pytest.mark.parametrize("part", ["output", "final", "grads"])
def test_tolerance_catches_a_float32_round_trip(part: str) -> None:
    fused = _run(_model("lstm", num_layers=2, bidirectional=True), "fused", _x(), None)
    _assert_same(fused, fused)

    def round_trip(t: torch.Tensor) -> torch.Tensor:
        return t.float().double()

    if part == "grads":
        rounded = {
            **fused,
            "grads": {**fused["grads"], "input": round_trip(fused["grads"]["input"])},
        }
    else:
        rounded = {**fused, part: map_state(fused[part], round_trip)}
    with pytest.raises(AssertionError):
        _assert_same(fused, rounded)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("mode", MODES)
def test_explicit_equals_fused_with_initial_state(mode: str, bidirectional: bool) -> None:
    model = _model(mode, num_layers=2, bidirectional=bidirectional)
    g = torch.Generator().manual_seed(3)
    state = map_state(
        model.initial_state(BATCH), lambda t: torch.randn(t.shape, generator=g, dtype=t.dtype)
    )
    lengths = torch.tensor(LENGTHS)
    _assert_same(
        _run(model, "fused", _x(), lengths, state), _run(model, "explicit", _x(), lengths, state)
    )


@pytest.mark.parametrize("impl", ["fused", "explicit"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("mode", MODES)
def test_padding_never_changes_a_result(mode: str, bidirectional: bool, impl: str) -> None:
    model = _model(mode, num_layers=2, bidirectional=bidirectional, impl=impl)
    x = _x()
    lengths = torch.tensor(LENGTHS)
    batch_out, batch_state = model(x, lengths)
    for b, n in enumerate(LENGTHS):
        alone_out, alone_state = model(x[b : b + 1, :n])  # the sequence alone, no padding
        torch.testing.assert_close(batch_out[b : b + 1, :n], alone_out)
        for sb, sa in zip(_states(batch_state), _states(alone_state), strict=True):
            torch.testing.assert_close(sb[:, b : b + 1], sa)


@pytest.mark.parametrize("mode", MODES)
def test_final_state_of_unidirectional_is_last_valid_output(mode: str) -> None:
    model = _model(mode)
    output, state = model(_x(), torch.tensor(LENGTHS))
    h = _states(state)[0]  # (1, B, H)
    for b, n in enumerate(LENGTHS):
        torch.testing.assert_close(h[0, b], output[b, n - 1])


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("mode", MODES)
def test_step_equals_forward(mode: str, num_layers: int) -> None:
    model = _model(mode, num_layers)
    x = _x()
    g = torch.Generator().manual_seed(4)
    state = map_state(
        model.initial_state(BATCH), lambda t: torch.randn(t.shape, generator=g, dtype=t.dtype)
    )
    # T = 1
    y, step_state = model.step(x[:, 0], state)
    out, fwd_state = model(x[:, :1], state=state)
    torch.testing.assert_close(y, out[:, 0])
    for a, b in zip(_states(step_state), _states(fwd_state), strict=True):
        torch.testing.assert_close(a, b)
    # a loop of steps, from zeros
    step_state, ys = None, []
    for t in range(STEPS):
        y, step_state = model.step(x[:, t], step_state)
        ys.append(y)
    out, fwd_state = model(x)
    torch.testing.assert_close(torch.stack(ys, dim=1), out)
    for a, b in zip(_states(step_state), _states(fwd_state), strict=True):
        torch.testing.assert_close(a, b)


def test_step_rejects_bidirectional() -> None:
    with pytest.raises(ValueError, match="unidirectional"):
        _model("gru", bidirectional=True).step(_x()[:, 0])


@pytest.mark.parametrize("mode", MODES)
def test_detach_state_cuts_the_graph(mode: str) -> None:
    model = _model(mode)
    _, state = model(_x())
    assert all(s.requires_grad for s in _states(state))
    detached = detach_state(state)
    assert type(detached) is type(state)
    for d, s in zip(_states(detached), _states(state), strict=True):
        assert not d.requires_grad and d.grad_fn is None
        torch.testing.assert_close(d, s)
    # the next window's graph ends at the detached state
    out, _ = model(_x(seed=5), state=detached)
    out.sum().backward()
    assert detach_state(None) is None


def test_map_state_reorders_batch() -> None:
    model = _model("lstm", num_layers=2)
    _, state = model(_x())
    idx = torch.tensor([2, 0])
    h, c = map_state(state, lambda t: t.index_select(1, idx))
    torch.testing.assert_close(h, state[0][:, [2, 0]])
    torch.testing.assert_close(c, state[1][:, [2, 0]])


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("mode", MODES)
def test_parameters_are_torchs(mode: str, bidirectional: bool, bias: bool) -> None:
    model = Recurrent(mode, INPUT, HIDDEN, 2, bidirectional=bidirectional, bias=bias)
    ref = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[mode](
        INPUT, HIDDEN, 2, bias=bias, batch_first=True, bidirectional=bidirectional
    )
    names = [name for name, _ in model.named_parameters()]
    assert names == [f"rnn.{name}" for name, _ in ref.named_parameters()]
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in ref.parameters())
    model.rnn.load_state_dict(ref.state_dict())  # same layout, loads without renaming


def test_dropout_between_layers_only() -> None:
    # dropout=1 zeroes everything between layers, deterministically: the last layer then sees
    # only zeros, yet its own output is not dropped
    model = _model("lstm", num_layers=2, dropout=1.0).train()
    x = _x()
    fused, _ = model(x)
    model.impl = "explicit"
    explicit, _ = model(x)
    torch.testing.assert_close(fused, explicit)
    assert (explicit != 0).any()
    torch.testing.assert_close(explicit, model(torch.zeros_like(x))[0])
    model.eval()
    assert not torch.allclose(model(x)[0], explicit)


@pytest.mark.parametrize("bad", [{"mode": "transformer"}, {"impl": "cuda"}])
def test_bad_choice_raises_listing_valid_names(bad: dict) -> None:
    kwargs = {"mode": "lstm", "input_size": INPUT, "hidden_size": HIDDEN} | bad
    with pytest.raises(ValueError) as err:
        Recurrent(**kwargs)
    valid = "rnn, lstm, gru" if "mode" in bad else "fused, explicit"
    assert valid in str(err.value)


def test_bad_impl_attribute_raises_at_forward() -> None:
    model = _model("gru")
    model.impl = "fast"
    with pytest.raises(ValueError, match="fused, explicit"):
        model(_x())


def test_bad_lengths_raise() -> None:
    model = _model("gru")
    with pytest.raises(ValueError, match="lengths"):
        model(_x(), torch.tensor([5, 0, 3]))


@pytest.mark.parametrize("impl", ["fused", "explicit"])
@pytest.mark.parametrize("mode", MODES)
def test_runs_under_bfloat16_autocast(mode: str, impl: str) -> None:
    torch.manual_seed(0)
    model = Recurrent(mode, INPUT, HIDDEN, num_layers=2, bidirectional=True, impl=impl)
    x = _x().float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output, state = model(x, torch.tensor(LENGTHS))
        y, _ = Recurrent(mode, INPUT, HIDDEN).step(x[:, 0])
    assert output.shape == (BATCH, STEPS, 2 * HIDDEN)
    assert torch.isfinite(output.float()).all() and torch.isfinite(y.float()).all()
    assert all(s.shape == (4, BATCH, HIDDEN) for s in _states(state))


@pytest.mark.parametrize("mode", MODES)
def test_bf16_autocast_runs_on_any_cpu(mode):
    # an LSTM layer falls back to fp32 where the CPU has no bf16 kernel for it
    model = _model(mode, num_layers=2, bidirectional=True).float()
    x = _x().float().requires_grad_(True)
    lengths = torch.tensor(LENGTHS)
    state = map_state(model.initial_state(BATCH), lambda t: t.bfloat16())  # e.g. from a bridge
    reference, _ = model(x, lengths, map_state(state, torch.Tensor.float))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output, final = model(x, lengths, state)
    assert torch.allclose(output.float(), reference, atol=0.05)
    (output.float().sum() + sum(s.float().sum() for s in _states(final))).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
