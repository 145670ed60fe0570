"""Checkpoint averaging: ``train.keep_checkpoints`` keeps the last N validations' checkpoints,
and ``seqlab average`` writes a run whose weights are their mean, the same bits every time,
that every command loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import seqlab
from seqlab.cli import main
from seqlab.serve.registry import load_registry

KEEP = "max_steps: 12, eval_every: 3, keep_checkpoints: 3"
STEPS = ["step-00000006", "step-00000009", "step-00000012"]


def _weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return load_file(str(checkpoint / "model.safetensors"))


@pytest.fixture(scope="module")
def kept(module_tiny_task) -> Path:
    """A classifier trained 12 steps, validated every 3, keeping the last 3 step checkpoints."""
    config = module_tiny_task("classify", "kept", train=KEEP)
    main(["train", str(config)])
    return config.parent / "kept"


@pytest.fixture(scope="module")
def averaged(kept) -> Path:
    out = kept.parent / "kept-avg3"
    main(["average", str(kept), "--last", "3", "--out", str(out)])
    return out


def test_a_run_keeps_its_last_n_step_checkpoints_and_best_and_last(kept):
    names = sorted(p.name for p in (kept / "checkpoints").iterdir())
    assert names == ["best", "last", *STEPS]
    last, newest = (
        _weights(kept / "checkpoints" / "last"),
        _weights(kept / "checkpoints" / STEPS[-1]),
    )
    assert all(torch.equal(last[k], newest[k]) for k in last)


def test_without_the_option_a_run_keeps_best_and_last_only(tiny_task):
    config = tiny_task("classify", "plain", train="max_steps: 6, eval_every: 3")
    main(["train", str(config)])
    assert sorted(p.name for p in (config.parent / "plain" / "checkpoints").iterdir()) == [
        "best",
        "last",
    ]


def test_averaging_twice_gives_the_same_bits(kept, averaged):
    again = kept.parent / "kept-avg3-again"
    main(["average", str(kept), "--last", "3", "--out", str(again)])
    first = (averaged / "checkpoints" / "last" / "model.safetensors").read_bytes()
    assert first == (again / "checkpoints" / "last" / "model.safetensors").read_bytes()
    mean = _weights(averaged / "checkpoints" / "last")
    for step in STEPS:  # the steps trained, so the mean is none of them
        assert not all(
            torch.equal(v, _weights(kept / "checkpoints" / step)[k]) for k, v in mean.items()
        )


def test_the_mean_of_one_checkpoint_is_that_checkpoint(kept):
    out = kept.parent / "kept-one"
    main(["average", str(kept), "--checkpoints", STEPS[0], "--out", str(out)])
    mine, theirs = _weights(out / "checkpoints" / "last"), _weights(kept / "checkpoints" / STEPS[0])
    assert mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)


def test_the_mean_of_two_checkpoints_is_their_mean(kept):
    out = kept.parent / "kept-two"
    main(
        [
            "average",
            str(kept),
            "--checkpoints",
            STEPS[0],
            "--checkpoints",
            STEPS[2],
            "--out",
            str(out),
        ]
    )
    a, b = (_weights(kept / "checkpoints" / s) for s in (STEPS[0], STEPS[2]))
    mean = _weights(out / "checkpoints" / "last")
    for name, value in mean.items():
        assert torch.equal(value, ((a[name].double() + b[name].double()) / 2).float())
        assert torch.allclose(value, (a[name] + b[name]) / 2, atol=1e-7)
    meta = json.loads((out / "checkpoints" / "last" / "checkpoint.json").read_text())
    assert [Path(p).name for p in meta["averaged_from"]] == [STEPS[0], STEPS[2]]


def test_the_averaged_run_loads_with_every_command(kept, averaged, capsys, tmp_path):
    valid = kept.parent / "kept-data" / "valid.tsv"
    capsys.readouterr()
    main(["evaluate", str(averaged), "--data", str(valid), "--json"])
    assert 0 <= json.loads(capsys.readouterr().out)["accuracy"] <= 1
    texts = tmp_path / "texts.txt"
    texts.write_text("good fun\nbad dull\n")
    main(["predict", str(averaged), "--input", str(texts), "--format", "jsonl"])
    assert len(capsys.readouterr().out.splitlines()) == 2
    main(["export", str(averaged), "--out", str(tmp_path / "onnx")])
    assert (tmp_path / "onnx").is_dir()
    served = load_registry([f"avg={averaged}"], "cpu")
    model = seqlab.load(averaged)
    mean = _weights(averaged / "checkpoints" / "last")
    for name, value in model.module.state_dict().items():
        assert torch.equal(value, mean[name])
    assert served["avg"].task.name == "classify"
    assert model.classify("good fun").label in ("pos", "neg")


def test_an_averaged_seq2seq_run_translates(tiny_task, capsys):
    config = tiny_task("seq2seq", "nmt", train=KEEP)
    main(["train", str(config)])
    out = config.parent / "nmt-avg"
    main(["average", str(config.parent / "nmt"), "--last", "2", "--out", str(out)])
    capsys.readouterr()
    main(["translate", str(out), "cat dog", "--beam", "2"])
    assert capsys.readouterr().out.count("\n") == 1


def test_refusals(kept, averaged, module_tiny_task, cli_error):
    out = str(kept.parent / "never")
    err = cli_error("average", kept, "--last", "4", "--out", out)
    assert "--last 4 needs 4 step checkpoints" in err
    assert "already exists" in cli_error("average", kept, "--last", "2", "--out", averaged)
    assert "either --last N or --checkpoints" in cli_error("average", kept, "--out", out)
    wider = module_tiny_task("classify", "wider")
    wider.write_text(wider.read_text().replace("hidden_size: 8", "hidden_size: 12"))
    main(["train", str(wider)])
    other = wider.parent / "wider" / "checkpoints" / "last"
    err = cli_error("average", kept, "--checkpoints", "last", "--checkpoints", other, "--out", out)
    assert "another model" in err and str(other) in err
    words = module_tiny_task("classify", "words")
    train = words.parent / "words-data" / "train.tsv"
    train.write_text(train.read_text() + "pos\tsplendid\n")
    main(["train", str(words)])
    other = words.parent / "words" / "checkpoints" / "last"
    err = cli_error("average", kept, "--checkpoints", "last", "--checkpoints", other, "--out", out)
    assert "vocab.json differs" in err
    assert not Path(out).exists()
