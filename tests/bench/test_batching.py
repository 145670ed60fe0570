"""bench.batching on tiny stand-ins for the shared data: both kinds of batches of every config
timed, padding far lower with token batches, and its section written to a scratch document."""

from __future__ import annotations

import importlib
import random
import re
import types
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORDS = "the a cat dog sat ran on under mat hill and then , . it was very good bad".split()


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.syspath_prepend(str(REPO))  # as ``python -m bench.batching`` from the root
    return importlib.import_module("bench.batching")


def sentences(rng: random.Random, count: int) -> list[list[str]]:
    """``count`` sentences of 1 to 40 words: lengths that vary, so sentence batches pad."""
    return [[rng.choice(WORDS) for _ in range(rng.randint(1, 40))] for _ in range(count)]


def tagged(rng: random.Random, count: int, types_: list[str], columns: str) -> str:
    """CoNLL-style text, one word a line, blank lines between sentences; the first word of
    each sentence is an entity of one of ``types_`` (all of them in every file)."""
    blocks = []
    for i, words in enumerate(sentences(rng, count)):
        tags = [types_[i % len(types_)], *["O"] * (len(words) - 1)]
        blocks.append("".join(f"{w}{columns}{t}\n" for w, t in zip(words, tags, strict=True)))
    return "\n".join(blocks)


def write_data(root: Path) -> None:
    """The files the four shipped configs read, at the paths they name under shared/data."""
    rng = random.Random(0)
    files = {
        "conll2003/eng.train": tagged(rng, 120, ["I-PER", "I-LOC"], " NN I-NP "),
        "conll2003/eng.testa": tagged(rng, 20, ["I-PER", "I-LOC"], " NN I-NP "),
        "wnut17/wnut17train.conll": tagged(rng, 120, ["B-person", "B-location"], "\t"),
        "wnut17/emerging.dev.conll": tagged(rng, 20, ["B-person", "B-location"], "\t"),
    }
    for name, count in (("train", 200), ("dev", 20)):
        rows = [f"{' '.join(s)}\t{i % 2}\n" for i, s in enumerate(sentences(rng, count))]
        files[f"sst2/{name}.tsv"] = "sentence\tlabel\n" + "".join(rows)
    texts = sentences(rng, 150)
    files["sms-spam/SMSSpamCollection"] = "".join(
        f"{'spam' if i % 5 == 0 else 'ham'}\t{' '.join(s)}\n" for i, s in enumerate(texts)
    )
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_tiny_run_measures_every_config_and_writes_its_section(module, tmp_path: Path) -> None:
    data, doc = tmp_path / "data", tmp_path / "benchmarks.md"
    write_data(data)
    real_doc = REPO / "docs" / "benchmarks.md"
    before = real_doc.read_text()
    module.main(["--steps", "2", "--warmup", "1", "--rounds", "2", "--threads", "1",
                 "--data", str(data), "--out", str(doc), "--name", "batching-smoke"])  # fmt: skip
    assert real_doc.read_text() == before
    text = doc.read_text()
    section = text[text.index("<!-- bench:batching-smoke -->") :]
    rows = re.findall(
        r"^\| (\w+) \| ([\d,]+) (sentences|tokens) \| ([\d.,]+) \| ([\d,]+) \| ([\d.]+)% \| "
        r"([\d,]+) \|$",
        section,
        re.M,
    )
    assert [(r[0], r[2]) for r in rows] == [
        (name, kind) for name in module.SETUPS for kind in ("sentences", "tokens")
    ]
    by_kind = {(r[0], r[2]): r for r in rows}
    for name, setup in module.SETUPS.items():
        sent, tok = by_kind[name, "sentences"], by_kind[name, "tokens"]
        assert number(sent[1]) == setup.sentences == number(sent[3])  # full sentence batches
        assert number(tok[4]) <= number(tok[1])  # a token batch holds at most its budget
        assert float(tok[5]) < float(sent[5]) / 2  # far less padding
        assert number(sent[6]) > 0 and number(tok[6]) > 0
        ratio = re.search(rf"^\| {name} \| [\d.]+% -> [\d.]+% \| ([\d.]+)x \|$", section, re.M)
        assert float(ratio[1]) == pytest.approx(number(tok[6]) / number(sent[6]), rel=0.02)
    assert re.search(r"<!-- summary:batching-smoke --> .* padding conll03 \d+% -> \d+%", text)
    assert "Machine: " in section and "<details><summary>Command</summary>" in section


def test_unknown_config_names_are_refused(module) -> None:
    with pytest.raises(SystemExit, match="--configs: expected some of conll03,wnut17,sst2,sms"):
        module.main(["--configs", "conll03,imdb"])
