"""End to end through the CLI: seqlab train (tiny config), translate, evaluate, chat."""

from __future__ import annotations

import io
import json
import re

import pytest

from seqlab.analysis import plots
from seqlab.cli import main
from seqlab.data.normalize import has_hangul

PAIRS = [
    ("hello", "bonjour"),
    ("good night", "bonne nuit"),
    ("thank you", "merci"),
    ("a cat", "un chat"),
    ("a dog", "un chien"),
    ("the cat", "le chat"),
    ("the dog", "le chien"),
    ("yes", "oui"),
    ("no", "non"),
    ("good day", "bonne journée"),
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("s2s")
    data = root / "pairs.tsv"
    data.write_text("".join(f"{s}\t{t}\n" for s, t in PAIRS * 2), encoding="utf-8")
    config = root / "tiny.yaml"
    config.write_text(
        f"""task: seq2seq
out_dir: {root / "run"}
data: {{train: {data}, tokenizer: word, valid_fraction: 0.2, max_src_len: 4, bleu_sentences: 4}}
model: {{cell: lstm, embedding_dim: 16, hidden_size: 16, attention: luong, input_feed: true}}
train: {{batch_size: 4, max_steps: 12, eval_every: 6, metric: bleu, progress: false, threads: 1}}
"""
    )
    main(["train", str(config)])
    return root / "run"


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_train_smoke_writes_a_run(run_dir):
    for name in ("config.yaml", "src_vocab.json", "tgt_tokenizer.json", "metrics.jsonl"):
        assert (run_dir / name).is_file()
    valid = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    valid = [r for r in valid if r["split"] == "valid"]
    assert valid and {"loss", "ppl", "bleu"} <= set(valid[-1])
    assert (run_dir / "checkpoints" / "best").is_dir()


MOSES = re.compile(r"(\d+) \|\|\| (.*) \|\|\| (-?\d+\.\d{4})")  # index ||| text ||| score


def _moses(lines: list[str]) -> list[tuple[int, str, float]]:
    matches = [MOSES.fullmatch(line) for line in lines]
    assert all(matches), lines
    return [(int(m[1]), m[2], float(m[3])) for m in matches]


@pytest.mark.parametrize("beam", ["1", "3"])
def test_translate_stdin_keeps_alignment(run_dir, monkeypatch, capsys, beam):
    _stdin(monkeypatch, "hello\n\na zebra unknown words\n")
    main(["translate", str(run_dir), "--beam", beam])
    lines = capsys.readouterr().out.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""  # 3 outputs + final newline
    for source, line in (("hello", lines[0]), ("a zebra unknown words", lines[2])):
        main(["translate", str(run_dir), "--beam", beam, source])  # the sentence alone
        assert capsys.readouterr().out == line + "\n"  # batched with others or not, the same


def test_translate_n_best_and_sentence(run_dir, capsys):
    main(["translate", str(run_dir), "--beam", "3", "--n-best", "2", "a cat"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("0 ||| ") for line in lines)
    (_, first, best), (_, second, runner_up) = _moses(lines)
    assert first != second and 0 >= best >= runner_up  # log-probabilities, best first


def test_n_best_moses_lines_for_each_input_line(run_dir, monkeypatch, capsys):
    _stdin(monkeypatch, "the dog\n\nthank you\n")
    main(["translate", str(run_dir), "--beam", "3", "--n-best", "3"])
    rows = _moses(capsys.readouterr().out.splitlines())
    assert [i for i, _, _ in rows] == [0, 0, 0, 1, 2, 2, 2]  # an empty line: one empty entry
    assert rows[3][1:] == ("", 0.0)
    for index in (0, 2):
        scores = [score for i, _, score in rows if i == index]
        assert scores == sorted(scores, reverse=True)  # best first
        assert len({text for i, text, _ in rows if i == index}) == 3  # three different ones


def test_long_source_truncated_or_rejected(run_dir, capsys):
    main(["translate", str(run_dir), "--beam", "1", "a b c d e f g"])
    assert "truncated" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["translate", str(run_dir), "--on-long", "error", "a b c d e f g"])
    assert e.value.code == 2
    assert "longer than the model's limit of 4" in capsys.readouterr().err


def test_attention_plot(run_dir, tmp_path, capsys):
    out = tmp_path / "att.png"
    main(["translate", str(run_dir), "--attention-plot", str(out), "the dog"])
    assert out.stat().st_size > 1000 and out.read_bytes()[:4] == b"\x89PNG"
    plotted = capsys.readouterr().out
    main(["translate", str(run_dir), "the dog"])
    assert plotted == capsys.readouterr().out  # the plot shows the translation it prints


def test_attention_plot_in_korean(run_dir, tmp_path, monkeypatch, capsys):
    drawn = []
    monkeypatch.setattr(plots, "save", lambda fig, path: drawn.append(fig))
    out = str(tmp_path / "att.png")
    main(["translate", str(run_dir), "--attention-plot", out, "--plot-lang", "ko", "the dog"])
    main(["translate", str(run_dir), "--attention-plot", out, "the dog"])
    korean, english = (fig.axes[0] for fig in drawn)
    assert (korean.get_title(), english.get_title()) == ("어텐션 가중치", "attention weights")
    assert has_hangul(korean.get_xlabel()) and not has_hangul(english.get_xlabel())
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["translate", str(run_dir), "--attention-plot", out, "--plot-lang", "fr", "x"])
    assert e.value.code == 2
    assert capsys.readouterr().err.strip() == "error: --plot-lang 'fr': expected one of en, ko"


def test_evaluate_reports_bleu_and_chrf(run_dir, tmp_path, capsys):
    src, ref = tmp_path / "src.txt", tmp_path / "ref.txt"
    src.write_text("hello\nthe cat\n")
    ref.write_text("bonjour\nle chat\n")
    main(["evaluate", str(run_dir), "--src", str(src), "--ref", str(ref)])
    out = capsys.readouterr().out
    assert "BLEU" in out and "chrF" in out and "nrefs:1" in out
    ref.write_text("bonjour\n")
    with pytest.raises(SystemExit) as e:
        main(["evaluate", str(run_dir), "--src", str(src), "--ref", str(ref)])
    assert e.value.code == 2 and "must be aligned" in capsys.readouterr().err


def test_chat_handles_empty_lines_and_eof(run_dir, monkeypatch, capsys):
    _stdin(monkeypatch, "hello\n\n   \nthank you\n")  # no 'quit': ends at EOF
    main(["chat", str(run_dir), "--beam", "2"])
    assert len(capsys.readouterr().out.splitlines()) == 2  # one reply per non-empty line
    _stdin(monkeypatch, "")
    main(["chat", str(run_dir)])
    assert capsys.readouterr().out == ""


def test_cli_errors_exit_2(run_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["translate", str(run_dir), "--beam", "2", "--n-best", "3", "hi"])
    assert e.value.code == 2 and "--n-best" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["translate", str(tmp_path / "nope"), "hi"])
    assert e.value.code == 2
