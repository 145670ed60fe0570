"""PresetInput: a step loop whose input's known part was multiplied up front gives the outputs,
states and gradients of the plain loop over ``Recurrent.step(cat([x_t, rest_t]))``."""

from __future__ import annotations

import pytest
import torch

from seqlab.nn.preset_input import PresetInput
from seqlab.nn.recurrent import Recurrent

BATCH, STEPS, KNOWN, REST, HIDDEN = 3, 6, 4, 2, 5


def run(mode: str, layers: int, bias: bool, preset: bool):
    """Outputs (B, T, H), the final state and the gradients of every parameter and of both
    inputs, for a loss over every step's output."""
    torch.manual_seed(0)
    rnn = Recurrent(mode, KNOWN + REST, HIDDEN, layers, bias=bias).double()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, STEPS, KNOWN, generator=g, dtype=torch.float64, requires_grad=True)
    rest = torch.randn(BATCH, STEPS, REST, generator=g, dtype=torch.float64, requires_grad=True)
    state, ys = None, []
    known = PresetInput(rnn, x) if preset else None
    for t in range(STEPS):
        if known is not None:
            y, state = known.step(t, rest[:, t], state)
        else:
            y, state = rnn.step(torch.cat([x[:, t], rest[:, t]], -1), state)
        ys.append(y)
    out = torch.stack(ys, 1)
    (out.square().sum() + sum(s.sum() for s in (state if mode == "lstm" else (state,)))).backward()
    grads = [p.grad for p in rnn.parameters()] + [x.grad, rest.grad]
    return out, state, grads


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_preset_input_equals_the_plain_step_loop(mode: str, layers: int, bias: bool) -> None:
    out, state, grads = run(mode, layers, bias, preset=True)
    ref_out, ref_state, ref_grads = run(mode, layers, bias, preset=False)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(state, ref_state)
    assert len(grads) == len(ref_grads)
    for grad, ref in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(grad, ref)


def test_the_comparison_sees_a_wrong_split() -> None:
    """Giving the known part the rest's columns changes the result: the test above can fail."""
    torch.manual_seed(0)
    rnn = Recurrent("lstm", KNOWN + REST, HIDDEN).double()
    x = torch.randn(BATCH, STEPS, KNOWN, dtype=torch.float64)
    rest = torch.randn(BATCH, STEPS, REST, dtype=torch.float64)
    preset = PresetInput(rnn, x)
    y, _ = preset.step(0, rest[:, 0], None)
    swapped, _ = rnn.step(torch.cat([rest[:, 0], x[:, 0]], -1)[:, : KNOWN + REST], None)
    plain, _ = rnn.step(torch.cat([x[:, 0], rest[:, 0]], -1), None)
    torch.testing.assert_close(y, plain)
    assert not torch.allclose(y, swapped)


def test_the_rest_must_have_the_remaining_width() -> None:
    rnn = Recurrent("gru", KNOWN + REST, HIDDEN)
    preset = PresetInput(rnn, torch.randn(BATCH, STEPS, KNOWN))
    with pytest.raises(ValueError, match=rf"expected input of shape \(B, {REST}\)"):
        preset.step(0, torch.randn(BATCH, REST + 1), None)
