"""End to end through the command line: train, evaluate, generate, and bad input."""

import json

import pytest

from seqlab.cli import main


def run(args, capsys):
    main([str(a) for a in args])
    return capsys.readouterr()


def fails(args, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in args])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_train_evaluate_generate(lm_config, tmp_path, text_file, capsys):
    cfg = lm_config(name="run")
    out = run(["train", cfg, "--set", "train.epochs=3", "--set", "model.cell=gru"], capsys).out
    assert "run directory:" in out
    out = run(["evaluate", tmp_path / "run", "--data", text_file], capsys).out
    assert "bits/char" in out and "perplexity" in out
    greedy1 = run(
        ["generate", tmp_path / "run", "--prime", "the ", "--length", "40", "--temperature", "0"],
        capsys,
    ).out
    greedy2 = run(
        [
            "generate",
            tmp_path / "run",
            "--prime",
            "the ",
            "--length",
            "40",
            "--temperature",
            "0",
            "--seed",
            "5",
        ],
        capsys,
    ).out
    assert greedy1 == greedy2 and greedy1.startswith("the ")
    assert len(greedy1.rstrip("\n")) == 44
    s1 = run(
        ["generate", tmp_path / "run", "--length", "60", "--seed", "1", "--top-k", "5"], capsys
    )
    s2 = run(
        ["generate", tmp_path / "run", "--length", "60", "--seed", "1", "--top-k", "5"], capsys
    )
    assert s1.out == s2.out


def test_word_level_lm(lm_config, tmp_path, capsys):
    cfg = lm_config(name="w")
    run(["train", cfg, "--set", "data.tokenizer=word", "--set", "data.bptt=8"], capsys)
    out = run(
        [
            "generate",
            tmp_path / "w",
            "--prime",
            "the quick",
            "--length",
            "12",
            "--temperature",
            "0",
        ],
        capsys,
    ).out
    assert out.startswith("the quick") and len(out.split()) > 5


def test_bad_input_is_one_line(lm_config, tmp_path, capsys):
    cfg = lm_config(name="bad")
    assert "no such training text" in fails(["train", cfg, "--set", "data.train=/nope.txt"], capsys)
    assert "is a directory" in fails(["train", cfg, "--set", f"data.train={tmp_path}"], capsys)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert "is empty" in fails(["train", cfg, "--set", f"data.train={empty}"], capsys)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok line\n\xc3\x28 broken\n")
    err = fails(["train", cfg, "--set", f"data.train={bad}"], capsys)
    assert f"{bad}:2: invalid utf-8 at byte 8" in err and "--encoding" in err
    short = tmp_path / "short.txt"
    short.write_text("too short\n")
    assert "fewer than one BPTT window" in fails(
        ["train", cfg, "--set", f"data.train={short}"], capsys
    )
    assert "model.hidden_sise: unknown key" in fails(
        ["train", cfg, "--set", "model.hidden_sise=3"], capsys
    )
    assert "model.num_layers: must be > 0" in fails(
        ["train", cfg, "--set", "model.num_layers=-1"], capsys
    )
    assert "model.dropout: expected float" in fails(
        ["train", cfg, "--set", "model.dropout=lots"], capsys
    )
    assert "no such run directory" in fails(["generate", tmp_path / "none"], capsys)


def test_prime_outside_vocabulary(lm_config, tmp_path, capsys):
    run(["train", lm_config(name="v"), "--set", "train.max_steps=3"], capsys)
    err = fails(["generate", tmp_path / "v", "--prime", "Ωmega"], capsys)
    assert "'Ω'" in err and "vocabulary" in err


def test_adaptive_softmax_word_lm_trains_evaluates_and_generates(lm_config, tmp_path, capsys):
    cfg = lm_config(name="ad")
    sets = ["data.tokenizer=word", "data.bptt=8", "model.softmax=adaptive", "train.epochs=3"]
    run(["train", cfg, *[a for s in sets for a in ("--set", s)]], capsys)
    records = [json.loads(x) for x in (tmp_path / "ad/metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in records if r["split"] == "train"]
    assert losses[-1] < losses[0]
    out = run(["generate", tmp_path / "ad", "--prime", "the", "--length", "6"], capsys).out
    assert out.startswith("the") and len(out.split()) > 3
    msg = fails(
        ["train", cfg, "--set", "model.softmax=adaptive", "--set", "model.tie_weights=true"], capsys
    )
    assert "model.tie_weights" in msg


def test_adaptive_cutoffs_beyond_the_vocabulary_are_one_line(lm_config, capsys):
    cfg = lm_config(name="adbad")
    sets = ["model.softmax=adaptive", "model.adaptive_cutoffs=[5,100000]"]
    msg = fails(["train", cfg, *[a for s in sets for a in ("--set", s)]], capsys)
    assert "model.adaptive_cutoffs" in msg and "vocab size" in msg


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--temperature", "-1", "temperature (--temperature): must be >= 0"),
        ("--top-p", "0", "top_p (--top-p): must be in (0, 1]"),
        ("--top-p", "1.5", "top_p (--top-p): must be in (0, 1]"),
        ("--top-k", "-2", "top_k (--top-k): must be >= 0"),
        ("--length", "-1", "max_tokens (--length): must be >= 0"),
        ("--n", "0", "n (--n): must be >= 1"),
    ],
)
def test_generate_refuses_out_of_range_sampling_options(
    lm_config, tmp_path, capsys, option, value, message
):
    run(["train", lm_config(name="g"), "--set", "train.max_steps=1"], capsys)
    for temperature in ("0.8", "0"):  # refused whether or not the option would be used
        args = ["generate", tmp_path / "g", option, value]
        if option != "--temperature":
            args += ["--temperature", temperature]
        assert message in fails(args, capsys)


@pytest.mark.bad_input(
    kind="checkpoint",
    command="seqlab evaluate RUN, a NaN inside model.safetensors (header intact)",
    outcome="error: FILE: tensor 'output.bias' holds NaN or infinite values (exit 2)",
)
def test_a_checkpoint_with_non_finite_weights_is_refused_naming_the_tensor(
    lm_config, tmp_path, capsys
):
    from safetensors.torch import load_file, save_file

    run(["train", lm_config(name="nan"), "--set", "train.max_steps=1"], capsys)
    weights = tmp_path / "nan/checkpoints/best/model.safetensors"
    tensors = load_file(str(weights))
    tensors["output.bias"][3] = float("nan")  # the header stays intact: only a value is bad
    save_file(tensors, str(weights))
    err = fails(["evaluate", tmp_path / "nan", "--data", tmp_path / "nan/../corpus.txt"], capsys)
    assert "tensor 'output.bias' holds NaN or infinite values" in err
