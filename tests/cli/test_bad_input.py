"""The twelve kinds of bad input, each tried through the command line as a user would.

Every test here carries a ``bad_input`` mark (kind, command, outcome): ``docs/reliability.md`` is
written from these marks (``python scripts/make_reliability.py``), so the table and the tests
cannot drift apart. A user error is one ``error:`` line naming the file (and line), exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seqlab.cli import main

bad_input = pytest.mark.bad_input


def _error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    return err.strip()


def _out(capsys, *argv) -> str:
    main([str(a) for a in argv])
    return capsys.readouterr().out


def _config(path: Path, task: str, data: str, extra: str = "") -> Path:
    path.write_text(
        f"task: {task}\nout_dir: {path.parent / ('run_' + path.stem)}\ndata: {data}\n"
        "model: {embedding_dim: 8, hidden_size: 8, dropout: 0.0}\n"
        f"train: {{batch_size: 2, max_steps: 2, progress: false}}\n{extra}"
    )
    return path


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """A classifier trained on a TSV whose last line has no final newline."""
    root = tmp_path_factory.mktemp("classify")
    data = root / "sms.tsv"
    data.write_text("ham\thello there\nspam\twin money now\nham\tsee you\nspam\tcall now")
    cfg = _config(root / "c.yaml", "classify", f"{{train: {data}, valid: {data}}}")
    main(["train", str(cfg)])
    return root / "run_c", data


@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory):
    root = tmp_path_factory.mktemp("seq2seq")
    pairs = root / "pairs.tsv"
    pairs.write_text("".join(f"a b {w}\t{w} b a\n" for w in "cdefghij"))
    data = f"{{train: {pairs}, tokenizer: word, valid_fraction: 0.0, max_src_len: 6}}"
    main(["train", str(_config(root / "s.yaml", "seq2seq", data))])
    return root / "run_s", root


@bad_input(
    kind="empty file",
    command="seqlab train CONFIG, with an empty data.train",
    outcome="error: FILE: training text is empty (exit 2); no run directory is made",
)
def test_empty_training_file(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    err = _error(capsys, "train", _config(tmp_path / "e.yaml", "lm", f"{{train: {empty}}}"))
    assert f"{empty}" in err and "empty" in err
    assert not (tmp_path / "run_e").exists()


@bad_input(
    kind="no final newline",
    command="seqlab evaluate RUN --data FILE, the last line without a newline",
    outcome="the last line is read like any other (it counts as an example)",
)
def test_no_final_newline(classifier, capsys):
    run, data = classifier
    metrics = json.loads(_out(capsys, "evaluate", run, "--data", data, "--json"))
    assert metrics["examples"] == 4  # "spam<TAB>call now" has no newline and still counts


@bad_input(
    kind="invalid UTF-8",
    command="seqlab train CONFIG, a Latin-1 byte in data.train",
    outcome="error: FILE:LINE: invalid utf-8 at byte N (byte 0xe9); give its encoding "
    "(--encoding, or data.encoding) (exit 2)",
)
def test_invalid_utf8(tmp_path, capsys):
    data = tmp_path / "latin1.tsv"
    data.write_bytes(b"ham\thello\nspam\tcaf\xe9 free\n")
    err = _error(capsys, "train", _config(tmp_path / "u.yaml", "classify", f"{{train: {data}}}"))
    assert f"{data}:2: invalid utf-8" in err and "0xe9" in err and "data.encoding" in err


@bad_input(
    kind="wrong column count",
    command="seqlab train CONFIG, a TSV line without its text column",
    outcome="error: FILE:LINE: text column 1 is out of range: the line has 1 column(s) (exit 2)",
)
def test_wrong_column_count(tmp_path, capsys):
    data = tmp_path / "cols.tsv"
    data.write_text("ham\thello\nspam\n")
    err = _error(capsys, "train", _config(tmp_path / "w.yaml", "classify", f"{{train: {data}}}"))
    assert f"{data}:2: text column 1 is out of range" in err


@bad_input(
    kind="unaligned parallel files",
    command="seqlab evaluate RUN --src FILE --ref FILE, one line short",
    outcome="error: SRC has N lines but REF has M; they must be aligned line by line (exit 2)",
)
def test_unaligned_parallel_files(seq2seq, capsys):
    run, root = seq2seq
    (root / "src.txt").write_text("a b c\na b d\n")
    (root / "ref.txt").write_text("c b a\n")
    err = _error(capsys, "evaluate", run, "--src", root / "src.txt", "--ref", root / "ref.txt")
    assert "has 2 lines but" in err and "has 1" in err and "aligned" in err


@bad_input(
    kind="unknown label",
    command="seqlab evaluate RUN --data FILE, a label never seen in training",
    outcome="error: FILE:LINE: label 'x' was not seen in training (known: ...); "
    "data.unknown_label=skip skips such lines (exit 2)",
)
def test_unknown_label(classifier, tmp_path, capsys):
    run, _ = classifier
    data = tmp_path / "eval.tsv"
    data.write_text("ham\thi\neggs\tbreakfast\n")
    err = _error(capsys, "evaluate", run, "--data", data)
    assert f"{data}:2: label 'eggs' was not seen in training" in err


@bad_input(
    kind="invalid IOB",
    command="seqlab train CONFIG (tag), a tag that is not O, B-TYPE or I-TYPE",
    outcome="error: FILE:LINE: tag 'X-PER' is not O, B-TYPE or I-TYPE (exit 2)",
)
def test_invalid_iob_tag(tmp_path, capsys):
    data = tmp_path / "bad.conll"
    data.write_text("John B-PER\nsmiled O\n\nMary X-PER\n")
    err = _error(capsys, "train", _config(tmp_path / "t.yaml", "tag", f"{{train: {data}}}"))
    assert f"{data}:4: tag 'X-PER' is not O, B-TYPE or I-TYPE" in err


@bad_input(
    kind="a huge line",
    command="seqlab translate RUN --input FILE --on-long error, a 20,000-word line",
    outcome="error: line 1: source of N tokens is longer than the model's limit of M "
    "(data.max_src_len) (exit 2); with --on-long truncate (the default): a warning, then the "
    "translation of the first M tokens",
)
def test_huge_line(seq2seq, capsys):
    run, root = seq2seq
    huge = root / "huge.txt"
    huge.write_text("a b c " * 7000 + "\n")
    err = _error(capsys, "translate", run, "--input", huge, "--on-long", "error", "--beam", "1")
    assert "line 1: source of 21,000 tokens" in err or "line 1: source of 21000 tokens" in err
    out = _out(capsys, "translate", run, "--input", huge, "--beam", "1")
    assert len(out.splitlines()) == 1  # one output line for the one input line


@bad_input(
    kind="unknown config key",
    command="seqlab train CONFIG --set model.hiden_size=3",
    outcome="error: CONFIG: model.hiden_size: unknown key; expected one of ... (exit 2)",
)
def test_unknown_config_key(tmp_path, capsys):
    cfg = _config(tmp_path / "k.yaml", "lm", f"{{train: {tmp_path}}}")
    err = _error(capsys, "train", cfg, "--set", "model.hiden_size=3")
    assert "model.hiden_size: unknown key; expected one of cell, embedding_dim" in err


@bad_input(
    kind="wrong type",
    command="seqlab train CONFIG --set train.lr=fast",
    outcome="error: CONFIG: train.lr: expected float, got str 'fast' (exit 2)",
)
def test_wrong_type(tmp_path, capsys):
    cfg = _config(tmp_path / "t.yaml", "lm", f"{{train: {tmp_path}}}")
    assert "train.lr: expected float, got str 'fast'" in _error(
        capsys, "train", cfg, "--set", "train.lr=fast"
    )


@bad_input(
    kind="missing file",
    command="seqlab train CONFIG (data.train missing); seqlab predict RUN --input MISSING; "
    "seqlab predict NO-SUCH-RUN",
    outcome="error: FILE: no such data file / no such input file / no such run directory (exit 2)",
)
def test_missing_files(classifier, tmp_path, capsys):
    run, _ = classifier
    cfg = _config(tmp_path / "m.yaml", "classify", f"{{train: {tmp_path / 'nope.tsv'}}}")
    assert "nope.tsv: no such data file" in _error(capsys, "train", cfg)
    assert "gone.txt: no such input file" in _error(
        capsys, "predict", run, "--input", tmp_path / "gone.txt"
    )
    assert "no such run directory" in _error(capsys, "predict", tmp_path / "x", "--input", cfg)


@bad_input(
    kind="zero-length sequence",
    command="seqlab predict RUN (classify) and seqlab translate RUN, empty input lines",
    outcome="every input line gets an output line: an empty text is one <unk> step for a "
    "classifier; an empty source gives an empty translation",
)
def test_zero_length_sequences(classifier, seq2seq, tmp_path, capsys):
    run, _ = classifier
    lines = tmp_path / "in.txt"
    lines.write_text("\nhello there\n\n")
    out = _out(capsys, "predict", run, "--input", lines).splitlines()
    assert len(out) == 3 and all(line.split("\t")[0] in ("ham", "spam") for line in out)
    s2s, _ = seq2seq
    out = _out(capsys, "translate", s2s, "--input", lines, "--beam", "2").split("\n")
    assert out[0] == "" and out[2] == "" and len(out) == 4  # 3 lines and the final newline
