"""docs/tour.md and docs/tour.ko.md are what scripts/make_tour.py makes from its text and the
outputs stored in them, and the Korean tour covers every section of the English one in Korean,
with Korean examples where the issue asks for them, the lecture's terms, and a glossary."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "make_tour.py"
HANGUL = re.compile("[\uac00-\ud7a3]")  # syllables
JAMO_OR_HANGUL = re.compile("[\u1100-\u11ff\uac00-\ud7a3]")
BLOCK = re.compile(r"^```console\n\$ ([^\n]*)\n(.*?)\n```$", re.MULTILINE | re.DOTALL)


def sections(name: str) -> dict[str, str]:
    """Section number -> the section's Markdown (from its "## N." heading to the next heading;
    an unnumbered one, such as the glossary, is no section)."""
    text = (REPO / "docs" / name).read_text(encoding="utf-8")
    blocks = text.split("\n## ")[1:]
    return {b.split(".", 1)[0]: b for b in blocks if b[:1].isdigit()}


def test_both_tours_are_what_the_script_makes():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_korean_tour_covers_every_section_in_korean():
    english, korean = sections("tour.md"), sections("tour.ko.md")
    assert list(korean) == list(english) and len(english) >= 8
    for number, block in korean.items():
        prose = BLOCK.sub("", block)
        assert len(HANGUL.findall(prose)) > 100, f"section {number} is not written in Korean"
        commands = BLOCK.findall(block)
        assert commands, f"section {number} has no command"
        for cmd, output in commands:
            assert output.strip() and "[exit status" not in output, cmd


def test_the_korean_tour_uses_the_lectures_terms():
    text = (REPO / "docs" / "tour.ko.md").read_text(encoding="utf-8")
    for term in ("메모리 셀", "은닉 상태", "교사 강요", "문맥 벡터", "기울기 소실", "어텐션"):
        assert term in text, term
    assert "원-핫 인코딩" in text and "워드 임베딩" in text
    # the lecture's own words come first, the other names after them
    for lecture, other in (("컨텍스트 벡터", "문맥 벡터"), ("경사소실", "기울기 소실")):
        assert text.index(f"{lecture}({other}") < text.index(other), lecture
    assert text.index("hidden state(숨겨진 상태, 은닉 상태)") < text.index("은닉 상태")


def test_the_korean_glossary_names_each_term_in_english_and_in_seqlab():
    text = (REPO / "docs" / "tour.ko.md").read_text(encoding="utf-8")
    glossary = text.split("\n## 용어집\n", 1)[1]
    rows = [line for line in glossary.splitlines() if line.startswith("| ")][1:]
    assert len(rows) >= 10 and all(len(re.split(r"(?<!\\)\|", row)) == 5 for row in rows)
    for name in ("hidden_size", "num_layers", "teacher_forcing", "attention: bahdanau", "bptt"):
        assert name in glossary, name
    for name in ("embedding", "cell: rnn", "clip_grad_norm", "--beam"):
        assert name in glossary, name


def test_korean_examples_in_hello_tokenizer_and_chatbot_sections():
    korean = sections("tour.ko.md")

    def commands(number: str) -> list[tuple[str, str]]:
        return BLOCK.findall(korean[number])

    # the lecture's hello (the English tour's command, so the same output), then a Korean word
    # whose repeated syllable has two different successors, as 'l' has in hello
    english_hello = [cmd for cmd, _ in BLOCK.findall(sections("tour.md")["3"])]
    explained = [(cmd, out) for cmd, out in commands("3") if cmd.startswith("seqlab explain")]
    assert [cmd for cmd, _ in explained][:1] == english_hello[:1]
    assert "generated 'hello'" in explained[0][1]
    assert "다다익선" in explained[1][0] and "generated '다다익선'" in explained[1][1]
    tokenized = [out for cmd, out in commands("6") if cmd.startswith("seqlab tokenize")]
    assert len(tokenized) >= 3 and all(JAMO_OR_HANGUL.search(out) for out in tokenized)
    chats = [(cmd, out) for cmd, out in commands("2") if "seqlab chat" in cmd]
    assert chats and "chatbot_ko" in chats[0][0]
    questions = re.search(r"printf '([^']*)'", chats[0][0]).group(1).split("\\n")
    replies = chats[0][1].splitlines()
    assert len(replies) == len([q for q in questions if q]) and all(map(HANGUL.search, replies))
    trained = [out for cmd, out in commands("2") if "train configs/chatbot_ko.yaml" in cmd]
    assert trained and "done (max_steps) at step" in trained[0]
    size = [out for cmd, out in commands("2") if cmd.startswith("seqlab params")]
    assert size and "total" in size[0]


def made_by_tour_runs() -> set[str]:
    """The run directories the Makefile's ``tour-runs`` recipe trains (bench/attention_three_way.sh
    names its runs m30k-KIND plus the SUFFIX it is given; the others name out_dir)."""
    text = (REPO / "Makefile").read_text()
    recipe = text.split("\ntour-runs:", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    made = set()
    for line in recipe.splitlines()[1:]:
        three = re.search(r"attention_three_way\.sh multi30k \S+ \S+ \"([^\"]+)\"", line)
        if three:
            suffix = re.search(r"SUFFIX=(\S*)", line)
            made |= {
                f"runs/bench/m30k-{kind}{suffix[1] if suffix else ''}" for kind in three[1].split()
            }
        elif "seqlab train configs/" in line:
            config = REPO / re.search(r"(configs/\S+\.yaml)", line)[1]
            made.add(re.search(r"^out_dir: (\S+)", config.read_text(), re.MULTILINE)[1])
        made |= set(re.findall(r"out_dir=(runs/\S+)", line))
    return made


def test_make_tour_runs_trains_every_run_the_tours_read_that_the_demo_does_not():
    read = set()
    for name in ("tour.md", "tour.ko.md"):
        for cmd, _ in BLOCK.findall((REPO / "docs" / name).read_text(encoding="utf-8")):
            read |= set(re.findall(r"(runs/(?!demo/|tour/)[\w.-]+/[\w.-]+)", cmd))
    made = made_by_tour_runs()
    assert read and read <= made, f"not made by make tour-runs: {sorted(read - made)}"
    assert "make tour-runs" in (REPO / "docs" / "tour.md").read_text()
    assert "make tour-runs" in (REPO / "docs" / "tour.ko.md").read_text()
