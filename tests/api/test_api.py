"""The Python API on tiny runs of every task: train from a dict, load, call each verb, and be
refused (in one line naming the task and its verbs) a verb the task does not have."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

import seqlab
from seqlab.errors import ConfigError, SeqlabError

PAIRS = [
    ("hello", "bonjour"),
    ("good night", "bonne nuit"),
    ("thank you", "merci"),
    ("a cat", "un chat"),
    ("a dog", "un chien"),
    ("yes", "oui"),
    ("no", "non"),
    ("good day", "bonne journée"),
]
TRAIN = {"progress": False, "threads": 1, "log_every": 1}


def _train(root: Path, name: str, config: dict) -> seqlab.Run:
    config["train"] = {**TRAIN, **config.get("train", {})}
    return seqlab.train(config, out_dir=root / name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, seqlab.Run]:
    """One tiny trained run per task, trained through ``seqlab.train`` from dicts."""
    root = tmp_path_factory.mktemp("api")
    rng = random.Random(0)
    (root / "pairs.tsv").write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 3), "utf-8")
    (root / "text.txt").write_text("the cat sat on the mat. the dog sat on the log.\n" * 40)
    spam, ham = ["win", "cash", "prize", "free"], ["see", "you", "at", "dinner", "home"]
    rows = [f"{'spam' if i % 3 == 0 else 'ham'}\t" for i in range(60)]
    rows = [r + " ".join(rng.choices(spam if "spam" in r else ham, k=4)) for r in rows]
    (root / "sms.tsv").write_text("\n".join(rows) + "\n")
    sentences = [
        f"{rng.choice(['John', 'Anna'])} visited {rng.choice(['Paris', 'Lima'])} ."
        for _ in range(30)
    ]
    conll = ["-DOCSTART- -X- -X- O", ""]
    for s in sentences:
        tags = ["I-PER", "O", "I-LOC", "O"]
        conll += [f"{t} NNP I-NP {g}" for t, g in zip(s.split(), tags, strict=True)] + [""]
    (root / "ner.txt").write_text("\n".join(conll))
    names = root / "names"
    names.mkdir()
    (names / "Aa.txt").write_text("\n".join(["aab", "aaab", "abab", "aaa"] * 4))
    (names / "Zz.txt").write_text("\n".join(["zzy", "zyzy", "zzz", "yzz"] * 4))
    small = {"embedding_dim": 8, "hidden_size": 16, "dropout": 0.0}
    return {
        "lm": _train(
            root,
            "lm",
            {
                "task": "lm",
                "data": {"train": str(root / "text.txt"), "tokenizer": "char", "bptt": 16},
                "model": {**small, "num_layers": 1},
                "train": {"batch_size": 4, "max_steps": 6, "eval_every": 3},
            },
        ),
        "seq2seq": _train(
            root,
            "seq2seq",
            {
                "task": "seq2seq",
                "data": {
                    "train": str(root / "pairs.tsv"),
                    "tokenizer": "word",
                    "valid_fraction": 0.2,
                    "bleu_sentences": 4,
                },
                "model": {**small, "attention": "luong"},
                "train": {"batch_size": 4, "max_steps": 6, "eval_every": 3, "metric": "bleu"},
            },
        ),
        "classify": _train(
            root,
            "classify",
            {
                "task": "classify",
                "data": {"train": str(root / "sms.tsv")},
                "model": {**small, "pooling": "mean"},
                "train": {"batch_size": 8, "max_steps": 6, "eval_every": 3},
            },
        ),
        "tag": _train(
            root,
            "tag",
            {
                "task": "tag",
                "data": {"train": str(root / "ner.txt"), "scheme": "iob1"},
                "model": small,
                "train": {"batch_size": 8, "max_steps": 6, "eval_every": 3, "metric": "f1"},
            },
        ),
        "condgen": _train(
            root,
            "condgen",
            {
                "task": "condgen",
                "data": {"train": str(names), "samples": 8},
                "model": {**small, "condition_dim": 4},
                "train": {"batch_size": 8, "max_steps": 6, "eval_every": 3},
            },
        ),
    }


KERNEL_ARGV = ["ipykernel_launcher.py", "-f", "/tmp/kernel-0123.json"]


def test_train_returns_a_run_that_loads(runs):
    run = runs["lm"]
    assert run.step == 6 and run.reason and "loss" in run.metrics
    assert (run.run_dir / "checkpoints").is_dir()
    assert any("loss" in row for row in run.history())
    assert str(run.run_dir) in run._repr_html_() and "<img" in run._repr_html_()
    model = run.load()
    assert model.task.name == "lm" and model.verbs == ("generate", "evaluate", "params", "explain")


def test_lm_generate_evaluate_params(runs):
    model = seqlab.load(runs["lm"].run_dir)
    pieces: list[str] = []
    out = model.generate("the ", max_tokens=20, seed=1, on_piece=lambda _, p: pieces.append(p))
    assert isinstance(out, seqlab.Generation) and out.prime == "the "
    assert len(out.texts) == 1 and out.text == "".join(pieces)
    again = model.generate("the ", max_tokens=20, seed=1)
    assert again.text == out.text  # a seed makes the sample reproducible
    text = runs["lm"].run_dir.parent / "text.txt"
    result = model.evaluate(text)
    assert result.metrics["ppl"] > 1 and str(result) == result.report
    params = model.params()
    assert params.total == sum(p.numel() for p in model.module.parameters())
    assert f"{params.total:,}" in str(params)


def test_seq2seq_translate_chat_and_attention(runs):
    model = seqlab.load(runs["seq2seq"].run_dir)
    one = model.translate("good night", beam=3, n_best=2, attention=True)
    assert isinstance(one, seqlab.Translation) and one.source == "good night"
    assert len(one.candidates) == 2 and one.text == one.candidates[0].text
    assert one.candidates[0].score >= one.candidates[1].score
    weights = one.attention.weights  # (T, S): one row per output token, <eos> included
    assert weights.shape == (len(one.attention.target), len(one.attention.source))
    assert one.attention.source == ["good", "night", "<eos>"]
    assert abs(weights.sum(axis=1) - 1).max() < 1e-4
    assert one.attention._repr_png_().startswith(b"\x89PNG")
    many = model.translate(["hello", "", "yes"], beam=1)
    assert [t.source for t in many] == ["hello", "", "yes"] and many[1].text == ""
    assert many[0].attention is None  # not asked for
    assert model.chat("hello") == model.translate("hello", beam=5).text
    pairs = runs["seq2seq"].run_dir.parent / "pairs.tsv"
    src, ref = pairs.with_suffix(".src"), pairs.with_suffix(".ref")
    src.write_text("hello\nyes\n")
    ref.write_text("bonjour\noui\n")
    scores = model.evaluate(src=src, ref=ref)
    assert scores.metrics["sentences"] == 2 and "BLEU" in scores.report


def test_classify_and_tag(runs):
    classifier = seqlab.load(runs["classify"].run_dir)
    one = classifier.classify("win cash prize")
    assert isinstance(one, seqlab.Label) and one.label in ("spam", "ham")
    assert abs(sum(one.probabilities.values()) - 1) < 1e-4
    assert one.probability == max(one.probabilities.values())
    assert [x.text for x in classifier.classify(["see you", "free cash"])] == [
        "see you",
        "free cash",
    ]
    tagger = seqlab.load(runs["tag"].run_dir)
    tagged = tagger.tag("Anna visited Paris .")
    assert tagged.tokens == ["Anna", "visited", "Paris", "."] and len(tagged.tags) == 4
    assert str(tagged).startswith("Anna/") and "<table>" in tagged._repr_html_()


def test_condgen_generates_per_condition(runs):
    model = seqlab.load(runs["condgen"].run_dir)
    out = model.generate(condition="Zz", n=3, temperature=0.5, seed=1)
    assert len(out.texts) == 3 and out.condition == "Zz"
    with pytest.raises(SeqlabError, match="not a class"):
        model.generate(condition="Korean")


@pytest.mark.parametrize(
    ("task", "verb", "args"),
    [("classify", "translate", ("hi",)), ("lm", "tag", ("a b",)), ("seq2seq", "generate", ())],
)
def test_a_verb_the_task_lacks_is_one_line_naming_the_task_and_its_verbs(runs, task, verb, args):
    model = seqlab.load(runs[task].run_dir)
    with pytest.raises(SeqlabError) as e:
        getattr(model, verb)(*args)
    message = str(e.value)
    assert "\n" not in message and f"this is a {task} model" in message
    assert all(v in message for v in model.verbs) and verb not in message.split(";")[1]


def test_explain_and_params_from_python():
    result = seqlab.explain("hello", "rnn", hidden_size=4, steps=100)
    assert result.generated == "hello" and "h_t" in str(result)
    assert "hello" in repr(result)
    assert seqlab.params("embedding(5000,100) rnn(128) dense(1)").keras_total == 529441


def test_notebook_kernel_argv_is_never_read(runs, monkeypatch, tmp_path):
    """In Jupyter, sys.argv holds the kernel's arguments: the API must not parse them."""
    monkeypatch.setattr(sys, "argv", KERNEL_ARGV)
    config = {
        "task": "classify",
        "data": {"train": str(runs["classify"].run_dir.parent / "sms.tsv")},
        "model": {"embedding_dim": 8, "hidden_size": 8},
        "train": {**TRAIN, "batch_size": 8, "max_steps": 2},
    }
    run = seqlab.train(config, {"train": {"lr": 0.01}}, out_dir=tmp_path / "nb")
    assert run.step == 2
    assert seqlab.load(run.run_dir).classify("free cash").label in ("spam", "ham")
    assert sys.argv == KERNEL_ARGV


def test_a_bad_dict_config_names_the_key_not_a_temporary_file(tmp_path):
    bad = {"task": "lm", "data": {"train": "x.txt"}, "model": {"hiden_size": 8}}
    with pytest.raises(ConfigError) as e:
        seqlab.train(bad, out_dir=tmp_path / "bad")
    assert str(e.value).startswith("config: model.hiden_size: unknown key")
    assert not (tmp_path / "bad").exists()


def test_import_seqlab_is_cheap():
    """``import seqlab`` loads neither torch nor the server nor ONNX Runtime."""
    import subprocess

    code = (
        "import sys, seqlab; heavy = {'torch', 'fastapi', 'onnxruntime'} & set(sys.modules); "
        "print(sorted(heavy)); seqlab.load; print('fastapi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "False"]
    assert callable(seqlab.train) and seqlab.train.trainer.Trainer  # function and subpackage


def test_the_docstring_examples_that_need_no_run_pass():
    """explain and params need no trained run: their docstring examples run as written."""
    import doctest

    import seqlab.api.explanation
    import seqlab.api.parameters

    for module in (seqlab.api.explanation, seqlab.api.parameters):
        result = doctest.testmod(module)
        assert result.attempted >= 2 and result.failed == 0
