"""``model.arch: transformer`` for the language model and the encoder-decoder: the same
commands, trainer and decoding loop as the recurrent models, no second copy of any."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from seqlab.cli import main
from seqlab.config import ConfigError
from seqlab.models.transformer_lm import TransformerLM
from seqlab.models.transformer_seq2seq import TransformerSeq2Seq
from seqlab.tasks import load_run
from seqlab.tasks.run import train

TEXT = "the quick brown fox jumps over the lazy dog. " * 80
PAIRS = [("a b c", "c b a"), ("b c d", "d c b"), ("c d a", "a d c"), ("d a b", "b a d")]
LM_MODEL = {"arch": "transformer", "embedding_dim": 16, "num_heads": 2, "num_layers": 2}
S2S_MODEL = {**LM_MODEL, "dropout": 0.0}
TRAIN = {"batch_size": 8, "lr": 0.01, "warmup_steps": 5, "progress": False, "threads": 1}


def _config(root: Path, name: str, task: str, data: dict, model: dict, steps: int) -> Path:
    config = {
        "task": task,
        "out_dir": str(root / name),
        "data": data,
        "model": model,
        "train": {**TRAIN, "epochs": 1000, "max_steps": steps, "eval_every": steps},
    }
    path = root / f"{name}.yaml"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("transformer")
    (root / "text.txt").write_text(TEXT)
    (root / "pairs.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 6))
    lm = {"train": str(root / "text.txt"), "tokenizer": "char", "bptt": 16}
    s2s = {"train": str(root / "pairs.tsv"), "tokenizer": "word", "valid_fraction": 0.0}
    configs = {
        "lm": _config(root, "lm", "lm", lm, LM_MODEL, 200),
        "s2s": _config(root, "s2s", "seq2seq", s2s, S2S_MODEL, 80),
    }
    for config in configs.values():
        main(["train", str(config)])
    return {name: root / name for name in configs} | {"root": root}


def test_the_runs_hold_transformers(runs):
    assert isinstance(load_run(runs["lm"])[1], TransformerLM)
    assert isinstance(load_run(runs["s2s"])[1], TransformerSeq2Seq)


def test_the_lm_learns_and_generates_past_its_window(runs, capsys):
    records = [json.loads(x) for x in (runs["lm"] / "metrics.jsonl").read_text().splitlines()]
    valid = [r["loss"] for r in records if r["split"] == "valid"]
    assert valid[-1] < 2.0  # a uniform guess over the ~30 characters costs 3.4 nats
    main(["generate", str(runs["lm"]), "--prime", "the ", "--length", "60", "--temperature", "0"])
    text = capsys.readouterr().out
    assert len(text.rstrip("\n")) >= 60  # bptt 16: the window slid several times
    assert "quick" in text or "lazy" in text


def test_the_encoder_decoder_learns_to_reverse(runs, capsys):
    main(["translate", str(runs["s2s"]), "--beam", "3", "b c d"])
    assert capsys.readouterr().out.strip() == "d c b"


def test_params_counts_every_parameter(runs, capsys):
    main(["params", str(runs["s2s"]), "--json"])
    counted = json.loads(capsys.readouterr().out)
    model = load_run(runs["s2s"])[1]
    total = sum(p.numel() for p in model.parameters())
    assert counted["total"] == {"keras": total, "pytorch": total}


def test_a_transformer_lm_run_resumes_exactly(runs):
    root = runs["root"]
    lm = {"train": str(root / "text.txt"), "tokenizer": "char", "bptt": 16}
    model = {**LM_MODEL, "dropout": 0.2}
    full = train(_config(root, "full", "lm", lm, model, 14), {})
    cut = train(_config(root, "cut", "lm", lm, model, 6), {})
    assert cut["step"] == 6
    resumed = train(None, {"train": {"max_steps": 14}}, resume=root / "cut")
    assert resumed["step"] == full["step"] == 14

    def losses(run: Path) -> list[float]:
        lines = (run / "metrics.jsonl").read_text().splitlines()
        return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]

    assert losses(root / "cut") == losses(root / "full")


@pytest.mark.parametrize(
    "model, message",
    [
        ({"arch": "transformer", "cell": "gru"}, "model.cell: applies only to arch 'recurrent'"),
        (
            {"arch": "transformer", "embedding_dim": 30, "num_heads": 4},
            "embedding_dim 30 is not divisible by num_heads 4",
        ),
        (
            {"arch": "transformer", "softmax": "adaptive"},
            "model.softmax: applies only to arch 'recurrent'",
        ),
    ],
)
def test_fields_that_do_not_apply_are_refused(runs, model, message):
    root = runs["root"]
    lm = {"train": str(root / "text.txt"), "tokenizer": "char"}
    with pytest.raises(ConfigError, match=message):
        train(_config(root, "bad", "lm", lm, model, 1), {})


def test_scheduled_sampling_is_refused_for_a_transformer(runs):
    root = runs["root"]
    data = {"train": str(root / "pairs.tsv"), "tokenizer": "word"}
    model = {**S2S_MODEL, "teacher_forcing": 0.5}
    with pytest.raises(ConfigError, match="teacher_forcing: applies only to arch 'recurrent'"):
        train(_config(root, "bad-s2s", "seq2seq", data, model, 1), {})


def test_the_encoder_decoder_trains_in_bf16(runs):
    root = runs["root"]
    data = {"train": str(root / "pairs.tsv"), "tokenizer": "word", "valid_fraction": 0.0}
    config = _config(root, "bf16", "seq2seq", data, S2S_MODEL, 4)
    result = train(config, {"train": {"precision": "bf16"}})
    assert result["step"] == 4 and torch.isfinite(torch.tensor(result["best"]))


def test_a_transformer_run_explains_with_one_head_of_attention(runs):
    import seqlab

    explanation = seqlab.load(runs["lm"]).explain("hello", steps=30)
    assert explanation.arch == "transformer"
