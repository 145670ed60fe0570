"""``seqlab diagnose gradients`` and ``seqlab diagnose adding`` end to end, tiny sizes."""

from __future__ import annotations

import json

import pytest

from seqlab.cli import main


def run(argv, capsys):
    main(argv)
    return capsys.readouterr().out


def test_gradients_json_and_plot(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("hello world, hello rnn.\n" * 10)
    plot = tmp_path / "g.png"
    out = run(
        ["diagnose", "gradients", "--cells", "rnn,transformer", "--length", "12",
         "--hidden-size", "6", "--train-steps", "3", "--text", str(text), "--plot", str(plot),
         "--json"],
        capsys,
    )  # fmt: skip
    result = json.loads(out)
    assert set(result["cells"]) == {"rnn", "transformer"}
    assert len(result["cells"]["rnn"]["init"]) == len(result["cells"]["transformer"]["init"]) == 12
    assert result["exploding"]["param_grad_norm_after_clip"] == pytest.approx(1.0, rel=1e-4)
    assert plot.stat().st_size > 0


def markdown_table(text: str) -> tuple[list[str], list[list[str]]]:
    """(header cells, body rows of cells) of the one Markdown table in ``text``."""
    lines = [line for line in text.splitlines() if line.startswith("|") and line.endswith("|")]
    header, rule, *body = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert all(set(c) <= set(":-") for c in rule) and all(len(r) == len(header) for r in body)
    return header, body


def test_gradients_text_report(tmp_path, capsys):
    out = run(
        ["diagnose", "gradients", "--cells", "rnn,lstm,gru", "--length", "8", "--hidden-size",
         "4", "--train-steps", "0"],
        capsys,
    )  # fmt: skip
    assert "max sigmoid'(z) = 0.2500" in out and "max tanh'(z) = 1.0000" in out
    assert "| gru, init |" in out and "before clip_grad_norm_" in out
    header, rows = markdown_table(out)
    assert header == ["model", "t=7", "t=0", "ratio t=0 / t=T-1"]
    assert [r[0] for r in rows] == [
        "rnn, init", "lstm, init", "gru, init", "rnn, W_h radius 1.10 (linear), dL/dh_t"
    ]  # fmt: skip
    for _, last, first, ratio in rows:
        assert float(ratio) == pytest.approx(float(first) / float(last), rel=2e-3)
        assert float(last) > 0
    assert "random token windows (no --text given" in out or "text " in out.splitlines()[1]
    text = tmp_path / "t.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 20)
    out = run(
        ["diagnose", "gradients", "--cells", "gru", "--length", "8", "--hidden-size", "4",
         "--train-steps", "0", "--text", str(text)],
        capsys,
    )  # fmt: skip
    assert f"text {text}" in out.splitlines()[1] and "None" not in out


def test_adding_text_table(capsys):
    out = run(
        ["diagnose", "adding", "--cells", "rnn,gru", "--lengths", "4,6", "--steps", "3",
         "--hidden-size", "4", "--batch-size", "4", "--test-size", "16"],
        capsys,
    )  # fmt: skip
    header, rows = markdown_table(out)
    assert header[:3] == ["T", "cell", "seeds"] and "baseline MSE" in header
    assert [(r[0], r[1]) for r in rows] == [("4", "rnn"), ("4", "gru"), ("6", "rnn"), ("6", "gru")]
    for r in rows:
        mean, worst, baseline = (float(x) for x in r[3:6])
        assert 0 <= mean <= worst and 0 < baseline < 1
        assert r[6] == ("yes" if mean < 0.01 else "no")
    assert {r[5] for r in rows if r[0] == "4"} == {rows[0][5]}  # one baseline per T


def test_adding_json_and_plot(tmp_path, capsys):
    plot = tmp_path / "a.png"
    out = run(
        ["diagnose", "adding", "--cells", "rnn,gru", "--lengths", "4,6", "--steps", "3",
         "--hidden-size", "4", "--batch-size", "4", "--test-size", "16", "--plot", str(plot),
         "--json"],
        capsys,
    )  # fmt: skip
    result = json.loads(out)
    assert len(result["runs"]) == 4 and len(result["summary"]) == 4
    assert all(0 < r["baseline_mse"] < 1 for r in result["summary"])
    assert plot.stat().st_size > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["diagnose", "gradients", "--length", "0"], "--length"),
        (["diagnose", "gradients", "--length", "-5"], "--length"),
        (["diagnose", "gradients", "--cells", "rnn,foo"], "rnn, lstm, gru"),
        (["diagnose", "adding", "--cells", "bar"], "rnn, lstm, gru"),
        (["diagnose", "adding", "--lengths", "10,0"], "--lengths"),
        (["diagnose", "adding", "--steps", "0"], "steps"),
        (["diagnose", "gradients", "--text", "/nonexistent/x.txt"], "no such"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
