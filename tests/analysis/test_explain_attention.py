"""The attention walk-through: its printed numbers are the modules' and torch's, it learns "hello",
and the CLI and Python entry points honour the recurrent walk-through's contract."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F

import seqlab
from seqlab.analysis.explain_attention import build_model, encode, explain, walk
from seqlab.cli import main
from seqlab.errors import SeqlabError

VOCAB = ["e", "h", "l", "o"]


def _rows(records: list[dict], name: str) -> torch.Tensor:
    return torch.tensor([r[name] for r in records], dtype=torch.float64)


def test_walk_equals_module_forward_and_torch() -> None:
    model = build_model(len(VOCAB), 4, 5, positions="sinusoidal", seed=1)
    records = walk(model, "hello", VOCAB)
    x, q, k, v = (_rows(records, name) for name in "xqkv")  # each (T, D)
    attention = model.attention
    with torch.no_grad():
        # the printed equations, from the printed x_t and the layer's weights
        torch.testing.assert_close(q, attention.q_proj(x), atol=1e-12, rtol=0)
        expected_o = F.scaled_dot_product_attention(q[None], k[None], v[None], is_causal=True)[0]
        module_out, module_weights = attention(x[None], mask=torch.ones(4, 4).tril().bool())
        logits, _ = model(encode("hell", VOCAB))  # (1, T, V)
    torch.testing.assert_close(_rows(records, "o"), expected_o, atol=1e-12, rtol=0)
    torch.testing.assert_close(_rows(records, "weights"), module_weights[0, 0], atol=1e-12, rtol=0)
    torch.testing.assert_close(_rows(records, "h"), x + module_out[0], atol=1e-12, rtol=0)
    probs = torch.softmax(logits[0], -1)
    torch.testing.assert_close(_rows(records, "probs"), probs, atol=1e-12, rtol=0)
    scores = q @ k.T / math.sqrt(4)  # (T, T)
    torch.testing.assert_close(_rows(records, "scores"), scores, atol=1e-12, rtol=0)
    masked = torch.tensor([r["masked"] for r in records])
    assert masked.tolist() == torch.ones(4, 4).triu(1).bool().tolist()
    weights = torch.softmax(scores.masked_fill(masked, float("-inf")), -1)
    torch.testing.assert_close(_rows(records, "weights"), weights, atol=1e-12, rtol=0)
    assert [r["input"] for r in records] == list("hell")
    assert [r["target"] for r in records] == list("ello")


def test_training_learns_hello_and_cache_matches_recompute() -> None:
    result = explain(steps=30, seed=0)
    losses = [entry["loss"] for entry in result["training"]]
    assert len(losses) == 30 and losses[-1] < 0.1 * losses[0]
    assert "".join(r["predicted"] for r in result["after"]) == "ello"
    assert result["generation"]["text"] == "hello"
    assert result["fused_max_abs_diff"] < 1e-12  # float64 throughout
    assert result["generation"]["cache_max_abs_diff"] < 1e-12
    assert [len(s["weights"]) for s in result["generation"]["steps"]] == [1, 2, 3, 4]
    (repeat,) = result["repeats"]
    assert repeat["char"] == "l" and repeat["successors"] == ["l", "o"]
    assert repeat["q_distance"] > 0.1 and repeat["q_distance_without_positions"] == 0.0
    assert set(result["parameters"]) >= {"E", "W_Q", "W_K", "W_V", "W_O", "W_y"}
    for r in result["after"]:
        assert sum(r["weights"]) == pytest.approx(1.0)
        assert all(w == 0.0 for w, m in zip(r["weights"], r["masked"], strict=True) if m)


def test_without_positions_the_two_l_queries_are_identical() -> None:
    result = explain(positions="none", steps=0)
    l2, l3 = result["before"][2], result["before"][3]
    assert l2["input"] == l3["input"] == "l"
    assert l2["q"] == l3["q"] and l2["x"] == l3["x"]
    assert l2["weights"] != l3["weights"]  # t=3 has one more key to attend to


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"text": "h"}, "at least 2"),
        ({"hidden_size": 3}, "even"),
        ({"positions": "rotary"}, "--positions .rotary.; expected one of sinusoidal, learned"),
        ({"steps": -1}, "steps"),
    ],
)
def test_bad_options_raise_seqlab_error(kwargs: dict, match: str) -> None:
    with pytest.raises(SeqlabError, match=match):
        explain(**kwargs)


def test_api_explain_transformer() -> None:
    result = seqlab.explain("hello", arch="transformer", steps=5)
    assert result.arch == "transformer" and "transformer" in repr(result)
    assert "masked: -inf" in str(result) and "a_3s" in str(result)
    assert len(result.plot().axes) == 3  # before, after, colorbar
    with pytest.raises(SeqlabError, match="--cell"):
        seqlab.explain("hello", "lstm", arch="transformer")
    with pytest.raises(SeqlabError, match="--positions"):
        seqlab.explain("hello", positions="none")


def test_cli_json_and_plot(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "a.png"
    main(["explain", "--arch", "transformer", "--json", "--steps", "3", "--plot", str(png)])
    result = json.loads(capsys.readouterr().out)
    assert result["config"]["arch"] == "transformer" and result["vocab"] == VOCAB
    assert len(result["before"]) == len(result["after"]) == 4
    assert {"q", "k", "v", "scores", "masked", "weights", "o", "h"} <= set(result["after"][3])
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_text(capsys: pytest.CaptureFixture[str]) -> None:
    main(["explain", "--arch", "transformer", "--steps", "2", "--hidden-size", "6"])
    out = capsys.readouterr().out
    assert "q_t = W_Q x_t + b_Q" in out and "o_t = sum_s a_ts v_s" in out
    assert "without positions" in out.lower() and "generated" in out
