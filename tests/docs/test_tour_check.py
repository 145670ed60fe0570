"""scripts/make_tour.py --check fails on a stale output: one from another checkpoint than its run
directory holds, one with no checkpoint hash, and two that quote one run with different BLEU.
Each test writes small tours of its own under a temporary directory, never the real ones."""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
RUN = "runs/bench/fake"
M30K = "../shared/data/multi30k"
EVALUATE = f"seqlab evaluate runs/bench/m30k-bahdanau --src {M30K}/val.en.gz --ref {M30K}/val.fr.gz"
BOTTLENECK = (
    "seqlab diagnose bottleneck runs/bench/m30k-none runs/bench/m30k-bahdanau "
    f"--src {M30K}/val.en.gz --ref {M30K}/val.fr.gz --plot docs/figures/bottleneck.png"
)


def evaluate_output(bleu: str, beam: int = 1) -> str:
    return (
        f"sentences   1,014  (beam {beam})\n"
        f"BLEU        {bleu}  nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0\n"
        "chrF        60.04  nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"
    )


def bottleneck_output(bleu: str) -> str:
    return (
        "| model | 1-5 | 6-10 | 11-15 | 16-20 | 21-25 | 26+ | all |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        "| sentences | 3 | 401 | 445 | 141 | 20 | 4 | 1,014 |\n"
        "| m30k-none (none) | 20.4 | 26.1 | 19.9 | 14.3 | 11.1 | 4.6 | 20.1 |\n"
        f"| m30k-bahdanau (bahdanau) | 69.5 | 49.0 | 47.7 | 38.5 | 37.4 | - | {bleu} |\n"
        "saved plot to docs/figures/bottleneck.png"
    )


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:12]


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> types.ModuleType:
    """make_tour with the repository moved to ``tmp_path``, which holds a fake run directory."""
    monkeypatch.syspath_prepend(str(SCRIPTS))
    make_tour = importlib.import_module("make_tour")
    monkeypatch.setattr(make_tour, "REPO", tmp_path)
    for which in ("best", "last"):
        (tmp_path / RUN / "checkpoints" / which).mkdir(parents=True)
        (tmp_path / RUN / "checkpoints" / which / "model.safetensors").write_bytes(
            f"{which} weights".encode()
        )
    (tmp_path / RUN / "config.yaml").write_text("task: seq2seq\n")
    return make_tour


def use_tours(module, monkeypatch, english: list, korean: list | None = None) -> tuple:
    """Point the module's two tours at files under its REPO, with these sections."""
    docs = module.REPO / "docs"
    docs.mkdir(exist_ok=True)
    tours = tuple(
        module.Tour(docs / name, "A tour", "Intro.", "Lecture:", "Notice:", sections)
        for name, sections in (("tour.md", english), ("tour.ko.md", korean or english))
    )
    monkeypatch.setattr(module, "TOURS", tours)
    return tours


def make(module, monkeypatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["make_tour.py", *args])
    module.main()


def check(module, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = module.check(module.stored_outputs([tour.path for tour in module.TOURS]))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def listed(module, monkeypatch) -> tuple:
    """Two tours written by make_tour: section 1 lists the fake run, section 2 reads no run."""
    sections = [
        ("1. A run", "Topic.", [(f"ls {RUN}", 5), ("echo no run here", 2)], "Notice."),
        ("2. No run", "Topic.", [("echo two", 2)], "Notice."),
    ]
    tours = use_tours(module, monkeypatch, sections)
    make(module, monkeypatch)
    return tours


def test_a_command_that_reads_a_run_stores_the_hash_of_its_checkpoint(module, listed, capsys):
    text = listed[0].path.read_text(encoding="utf-8")
    best = sha(b"best weights")
    assert (
        f"$ ls {RUN}\ncheckpoints\nconfig.yaml\n```\n<!-- checkpoints: {RUN}={best} -->\n" in text
    )
    assert "$ echo no run here\nno run here\n```\n\n" in text  # no run read, no comment
    assert text.count("<!-- checkpoints:") == 1
    assert module.stored_outputs([listed[0].path])[f"ls {RUN}"].checkpoints == {RUN: best}
    assert check(module, capsys) == (0, "")


def test_check_fails_when_the_run_holds_another_checkpoint(module, listed, capsys):
    (module.REPO / RUN / "checkpoints" / "best" / "model.safetensors").write_bytes(b"retrained")
    code, said = check(module, capsys)
    want = f"tour.md section 1: the output of `ls {RUN}` came from another checkpoint of {RUN}"
    assert code == 1 and said.startswith(want)
    assert f"{sha(b'best weights')}, now {sha(b'retrained')}" in said
    assert "python scripts/make_tour.py --only 1" in said and len(said.splitlines()) == 1


def test_check_fails_when_a_run_that_is_here_has_no_hash_stored(module, listed, capsys):
    for tour in listed:
        text = tour.path.read_text(encoding="utf-8")
        lines = [line for line in text.split("\n") if not line.startswith("<!-- checkpoints")]
        tour.path.write_text("\n".join(lines), encoding="utf-8")
    code, said = check(module, capsys)
    assert code == 1 and f"no checkpoint hash stored for {RUN}" in said and "--only 1" in said


def test_check_skips_the_hashes_of_runs_that_are_not_here(module, listed, capsys):
    (module.REPO / RUN / "checkpoints" / "best" / "model.safetensors").write_bytes(b"retrained")
    assert check(module, capsys)[0] == 1
    (module.REPO / RUN).rename(module.REPO / "elsewhere")
    assert check(module, capsys) == (0, "")
    for tour in listed:  # nor is a missing hash a failure where the run is not here
        text = tour.path.read_text(encoding="utf-8")
        lines = [line for line in text.split("\n") if not line.startswith("<!-- checkpoints")]
        tour.path.write_text("\n".join(lines), encoding="utf-8")
    assert module.stored_outputs([listed[0].path])[f"ls {RUN}"].checkpoints == {}
    assert check(module, capsys) == (0, "")
    (module.REPO / "elsewhere").rename(module.REPO / RUN)
    assert "no checkpoint hash stored" in check(module, capsys)[1]


def test_reuse_keeps_a_kept_outputs_hash_and_only_reruns_it(module, listed, monkeypatch, capsys):
    before = listed[0].path.read_text(encoding="utf-8")
    (module.REPO / RUN / "checkpoints" / "best" / "model.safetensors").write_bytes(b"retrained")
    make(module, monkeypatch, "--reuse")
    assert listed[0].path.read_text(encoding="utf-8") == before
    assert check(module, capsys)[0] == 1
    make(module, monkeypatch, "--only", "2")
    assert sha(b"best weights") in listed[0].path.read_text(encoding="utf-8")
    make(module, monkeypatch, "--only", "1")
    assert f"{RUN}={sha(b'retrained')}" in listed[1].path.read_text(encoding="utf-8")
    assert check(module, capsys) == (0, "")


def test_reuse_reruns_an_output_that_has_no_hash(module, listed, monkeypatch, capsys):
    for tour in listed:
        text = tour.path.read_text(encoding="utf-8")
        text = text.replace("checkpoints\nconfig.yaml\n```\n", "an old listing\n```\n")
        lines = [line for line in text.split("\n") if not line.startswith("<!-- checkpoints")]
        tour.path.write_text("\n".join(lines), encoding="utf-8")
    make(module, monkeypatch, "--reuse")
    text = listed[0].path.read_text(encoding="utf-8")
    assert "an old listing" not in text and f"{RUN}={sha(b'best weights')}" in text
    assert check(module, capsys) == (0, "")


def test_an_output_that_cannot_be_rerun_here_is_kept_without_a_hash(module, monkeypatch, capsys):
    cmd = f"ls {RUN} runs/bench/gone"  # one run is here, the other is not
    tours = use_tours(module, monkeypatch, [("1. Runs", "Topic.", [(cmd, 5)], "Notice.")])
    for tour in tours:
        tour.path.write_text(module.render(tour, {cmd: module.Output("a table")}), "utf-8")
    make(module, monkeypatch, "--reuse")
    assert "\na table\n```\n\n" in tours[0].path.read_text(encoding="utf-8")
    assert f"no checkpoint hash stored for {RUN}" in check(module, capsys)[1]


def test_the_hashed_file_is_the_checkpoint_the_command_loads(module):
    tour_check = importlib.import_module("tour_check")
    repo, checkpoints = module.REPO, module.REPO / RUN / "checkpoints"
    assert tour_check.checkpoint_file(repo, f"seqlab translate {RUN} hi", RUN).parent.name == "best"
    last = tour_check.checkpoint_file(repo, f"seqlab evaluate {RUN} --which last", RUN)
    assert last == checkpoints / "last" / "model.safetensors"
    assert tour_check.checkpoint_file(repo, f"seqlab params {RUN}", RUN).parent.name == "last"
    (checkpoints / "best" / "model.safetensors").unlink()
    (checkpoints / "best").rmdir()
    assert tour_check.checkpoint_file(repo, f"seqlab chat {RUN}", RUN).parent.name == "last"
    assert tour_check.runs_read(repo, f"seqlab predict {RUN} --input runs/x.txt") == [RUN]


def quoting(module, monkeypatch, outputs: dict[str, str], *korean: str) -> None:
    """Tours written from ``outputs`` (command -> output), a section for each command: in
    their order in English, and in Korean the same or, where given, ``korean``."""

    def sections(commands) -> list:
        return [("A section", "Topic.", [(cmd, 10)], "Notice.") for cmd in commands]

    english = sections(outputs if not korean else [c for c in outputs if c not in korean])
    tours = use_tours(module, monkeypatch, english, sections(korean) if korean else None)
    stored = {cmd: module.Output(text) for cmd, text in outputs.items()}
    for tour in tours:
        tour.path.write_text(module.render(tour, stored), encoding="utf-8")


@pytest.mark.parametrize(
    ("evaluated", "in_table", "agree"),
    [("41.17", "45.5", False), ("45.49", "45.5", True), ("45.44", "45.5", False)],
)
def test_check_fails_when_two_sections_give_one_run_different_bleu(
    module, monkeypatch, capsys, evaluated, in_table, agree
):
    outputs = {EVALUATE: evaluate_output(evaluated), BOTTLENECK: bottleneck_output(in_table)}
    quoting(module, monkeypatch, outputs)
    code, said = check(module, capsys)
    assert code == (0 if agree else 1), said
    if not agree:
        assert said.strip().splitlines() == [
            f"tour.md section 1 gives greedy BLEU {evaluated} for runs/bench/m30k-bahdanau and "
            f"tour.md section 2 gives {in_table} (--src {M30K}/val.en.gz --ref {M30K}/val.fr.gz)"
            "; rerun the stale one: python scripts/make_tour.py --only 1,2"
        ]


def test_other_data_or_another_beam_is_another_quantity(module, monkeypatch, capsys):
    outputs = {EVALUATE: evaluate_output("41.17", beam=5), BOTTLENECK: bottleneck_output("45.5")}
    quoting(module, monkeypatch, outputs)
    assert check(module, capsys) == (0, "")
    other = EVALUATE.replace("val.", "test.")
    outputs = {other: evaluate_output("41.17"), BOTTLENECK: bottleneck_output("45.5")}
    quoting(module, monkeypatch, outputs, other)
    assert check(module, capsys) == (0, "")


def test_check_compares_the_numbers_of_the_two_tours(module, monkeypatch, capsys):
    outputs = {EVALUATE: evaluate_output("41.17"), BOTTLENECK: bottleneck_output("45.5")}
    quoting(module, monkeypatch, outputs, EVALUATE)
    english = module.TOURS[0].path.read_text(encoding="utf-8")
    assert "seqlab evaluate" not in english and "seqlab diagnose bottleneck" in english
    code, said = check(module, capsys)
    assert code == 1
    assert "tour.md section 1 gives greedy BLEU 45.5" in said
    assert "tour.ko.md section 1 gives 41.17" in said
