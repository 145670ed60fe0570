"""The "hello" walk-through: explicit numbers equal fused ones, training works, CLI contract."""

from __future__ import annotations

import json

import pytest
import torch

from seqlab.analysis import plots
from seqlab.analysis.explain import build_model, explain, one_hot, walk
from seqlab.cli import main
from seqlab.errors import SeqlabError

CELLS = ["rnn", "lstm", "gru"]


@pytest.mark.parametrize("cell", CELLS)
def test_walk_equals_fused_layer(cell: str) -> None:
    vocab = sorted(set("hello"))
    rnn, head = build_model(len(vocab), cell, hidden_size=4, seed=0)
    records = walk(rnn, head, "hello", vocab)
    rnn.impl = "fused"
    with torch.no_grad():
        output, state = rnn(one_hot("hell", vocab)[None])  # (1, T, H)
        probs = torch.softmax(head(output[0]), dim=-1)  # (T, V)
    h = torch.tensor([r["h"] for r in records], dtype=torch.float64)
    torch.testing.assert_close(h, output[0], atol=1e-12, rtol=0)
    torch.testing.assert_close(
        torch.tensor([r["probs"] for r in records], dtype=torch.float64), probs, atol=1e-12, rtol=0
    )
    last_h = state[0] if cell == "lstm" else state
    torch.testing.assert_close(h[-1], last_h[0, 0], atol=1e-12, rtol=0)
    assert [r["input"] for r in records] == list("hell")
    assert [r["target"] for r in records] == list("ello")


@pytest.mark.parametrize("cell", CELLS)
def test_training_learns_hello(cell: str) -> None:
    result = explain(cell=cell, steps=100, seed=0)
    losses = [entry["loss"] for entry in result["training"]]
    assert len(losses) == 100
    assert losses[-1] < 0.5 * losses[0]
    assert "".join(r["predicted"] for r in result["after"]) == "ello"
    assert result["generation"]["text"] == "hello"
    assert result["fused_max_abs_diff"] < 1e-12  # float64 throughout: a float32 step fails
    assert (
        set(result["before"][0]["terms"])
        == {
            "rnn": {"wx", "wh", "b"},
            "lstm": {"i", "f", "g", "o", "c"},
            "gru": {"r", "z", "n"},
        }[cell]
    )


def test_rnn_terms_add_up_to_h() -> None:
    result = explain(steps=0)
    for r in result["before"]:
        terms = {k: torch.tensor(v) for k, v in r["terms"].items()}
        h = torch.tanh(terms["wx"] + terms["wh"] + terms["b"])
        torch.testing.assert_close(h, torch.tensor(r["h"]))
        assert sum(r["probs"]) == pytest.approx(1.0)


def test_seed_leaves_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    explain(steps=2)
    torch.testing.assert_close(torch.rand(3), expected)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"text": "h"}, "at least 2"),
        ({"cell": "transformer"}, "rnn, lstm, gru"),
        ({"hidden_size": 0}, "hidden-size"),
    ],
)
def test_bad_options_raise_seqlab_error(kwargs: dict, match: str) -> None:
    with pytest.raises(SeqlabError, match=match):
        explain(**kwargs)


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["explain", "--json", "--cell", "gru", "--steps", "60", "--lr", "0.1"])
    result = json.loads(capsys.readouterr().out)
    assert result["config"]["cell"] == "gru"
    assert result["vocab"] == ["e", "h", "l", "o"]
    assert len(result["before"]) == len(result["after"]) == 4
    assert len(result["training"]) == 60
    assert {"x", "h", "probs", "predicted", "loss"} <= set(result["after"][0])


def test_cli_text_and_plot(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "h.png"
    main(["explain", "--steps", "5", "--plot", str(png)])
    out = capsys.readouterr().out
    assert "Wh·h_{t-1}" in out and "generated" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_plot_in_korean(tmp_path, monkeypatch, capsys) -> None:
    drawn = []
    monkeypatch.setattr(plots, "save", lambda fig, path: drawn.append(fig))
    main(["explain", "--steps", "5", "--plot", str(tmp_path / "h.png"), "--plot-lang", "ko"])
    before = drawn[0].axes[0]
    assert before.get_title() == "학습 전 숨겨진 상태 h_t"
    assert before.get_xlabel() == "시점 t (입력 글자)"
    assert "saved heatmap of h_t" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["--text", "h"],
        ["--cell", "transformer"],
        ["--hidden-size", "0"],
        ["--arch", "transformer", "--cell", "gru"],
        ["--arch", "rnn"],
        ["--positions", "none"],
        ["--arch", "transformer", "--hidden-size", "5"],
        ["--plot-lang", "fr", "--plot", "never-written.png"],
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["explain", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
