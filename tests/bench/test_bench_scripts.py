"""The benchmark scripts import and answer --help without running anything, and the report writer
keeps docs/benchmarks.md in its shape: summary table, sections, History. bench.train_profile
also runs in its quick mode (two PTB steps), which measures and writes nothing."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch
from tests.conftest import needs_shared

import seqlab

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p.stem for p in (REPO / "bench").glob("*.py") if not p.stem.startswith("_"))


@pytest.fixture
def bench_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repository root on sys.path, as ``python -m bench.NAME`` from the root has it."""
    monkeypatch.syspath_prepend(str(REPO))


@pytest.fixture
def report(bench_on_path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """bench._report with a fixed machine and command, so sections are predictable."""
    module = importlib.import_module("bench._report")
    monkeypatch.setattr(module, "cpu", lambda: "Test CPU (AVX2)")
    monkeypatch.setattr(module, "machine", lambda: "Test CPU (AVX2), 2 cores")
    monkeypatch.setattr(module, "command", lambda: "python -m bench.fake --flag 'a b'")
    return module


def test_every_script_is_found() -> None:
    assert {"task_run", "seq2seq_speed", "joeynmt_multi30k", "lm_speed"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_imports_and_help_exits_0(
    name: str, bench_on_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    module = importlib.import_module(f"bench.{name}")
    monkeypatch.setattr(sys, "argv", [f"bench.{name}", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_python_dash_m_runs_from_the_repository_root() -> None:
    """The documented way to run a script; JoeyNMT need not be installed for --help."""
    env = {**os.environ, "PYTHONPATH": str(Path(seqlab.__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-m", "bench.joeynmt_multi30k", "--help"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "--seqlab-run" in out.stdout


def test_command_names_the_module(bench_on_path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("bench._report")
    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name="bench.task_run")
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", ["/x/bench/task_run.py", "m30k", "--note", "two words"])
    assert module.command() == "python -m bench.task_run m30k --note 'two words'"


def sections(text: str) -> list[str]:
    return re.findall(r"<!-- bench:(\S+) -->", text)


def summary_rows(text: str) -> list[str]:
    inner = text.split("<!-- summary -->")[1].split("<!-- /summary -->")[0]
    return [line for line in inner.splitlines() if line.startswith("| <!-- summary:")]


def section_text(report, doc: Path, name: str, result: str, summary=None) -> None:
    body = "\n".join([*report.header(f"Title {name}"), f"Result: {result}."])
    report.write_section(name, body, summary=summary, doc=doc)


def test_write_section_keeps_the_shape(report, tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    section_text(report, doc, "alpha", "1")
    section_text(report, doc, "beta", "2")
    text = doc.read_text()
    assert sections(text) == ["alpha", "beta"]
    assert text.index("<!-- /summary -->") < text.index("<!-- bench:alpha -->")
    assert text.index("<!-- /bench:beta -->") < text.index("<!-- history -->")

    # a re-run replaces its section where it stands
    section_text(report, doc, "alpha", "3")
    text = doc.read_text()
    assert sections(text) == ["alpha", "beta"]
    assert "Result: 3." in text and "Result: 1." not in text
    # the anchor the summary links to, the visible machine line, the folded command
    alpha = text.split("<!-- bench:alpha -->")[1].split("<!-- /bench:alpha -->")[0]
    assert alpha.startswith('\n<a id="alpha"></a>\n\n## Title alpha\n\nMachine: Test CPU (AVX2)')
    folded = re.search(
        r"<details><summary>Command</summary>\n\n```bash\n(.*)\n```\n\n</details>", alpha
    )
    assert folded and folded.group(1) == "python -m bench.fake --flag 'a b'"
    assert alpha.index("Machine:") < alpha.index("<details>")


def test_write_section_inserts_before_history(report, tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    section_text(report, doc, "alpha", "1")
    doc.write_text(doc.read_text() + "\n- `old-run`: superseded by [alpha](#alpha).\n")
    section_text(report, doc, "gamma", "5")
    text = doc.read_text()
    assert text.index("<!-- /bench:gamma -->") < text.index("<!-- history -->")
    assert text.rstrip().endswith("- `old-run`: superseded by [alpha](#alpha).")


def test_write_section_updates_its_summary_rows(report, tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    row = report.SummaryRow
    section_text(report, doc, "alpha", "1", summary=[row("alpha speed", "1 tok/s", "> 0", "1.0x")])
    section_text(report, doc, "beta", "2", summary=[row("beta", "2"), row("beta, again", "22")])
    text = doc.read_text()
    hand_kept = "| <!-- summary:pair --> alpha and beta | 1, 2 | — | — | CPU | 2026-01-01 | x |"
    doc.write_text(text.replace(summary_rows(text)[-1], summary_rows(text)[-1] + "\n" + hand_kept))

    section_text(report, doc, "alpha", "3", summary=[row("alpha speed", "3 tok/s", "> 0", "3.0x")])
    rows = summary_rows(doc.read_text())
    assert len(rows) == 4
    assert rows[0].startswith("| <!-- summary:alpha --> alpha speed | 3 tok/s | > 0 | 3.0x |")
    assert re.search(
        r" \| Test CPU \(AVX2\) \| \d{4}-\d\d-\d\d \| \[alpha\]\(#alpha\) \|$", rows[0]
    )
    assert [r.split(" --> ")[0] for r in rows[1:]] == [
        "| <!-- summary:beta",
        "| <!-- summary:beta",
        "| <!-- summary:pair",
    ]
    assert rows[3] == hand_kept

    # two rows become one, in their place
    section_text(report, doc, "beta", "4", summary=[row("beta", "4")])
    rows = summary_rows(doc.read_text())
    assert len(rows) == 3
    assert rows[1].startswith("| <!-- summary:beta --> beta | 4 |")
    assert rows[2] == hand_kept

    # without summary=..., the rows stay as they are
    section_text(report, doc, "beta", "5")
    assert summary_rows(doc.read_text()) == rows


def test_rewriting_the_real_document_changes_nothing(report, tmp_path: Path) -> None:
    """Every section of docs/benchmarks.md already has the shape the writer produces."""
    real = (REPO / "docs" / "benchmarks.md").read_text()
    doc = tmp_path / "benchmarks.md"
    doc.write_text(real)
    blocks = re.findall(
        r'<!-- bench:(\S+) -->\n<a id="\1"></a>\n\n(.*?)\n<!-- /bench:\1 -->', real, re.S
    )
    assert len(blocks) == len(sections(real)) > 0
    for name, body in blocks:
        report.write_section(name, body, doc=doc)
    assert doc.read_text() == real


@needs_shared
def test_train_profile_quick_measures_without_writing(
    bench_on_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Two PTB steps on one thread: the ISA, the GEMM rate, a row of positive rates; no doc."""
    module = importlib.import_module("bench.train_profile")
    doc = REPO / "docs" / "benchmarks.md"
    before = doc.read_text()
    argv = ["bench.train_profile", "--quick", "--threads", "1", "--models", "ptb"]
    monkeypatch.setattr(sys, "argv", argv)
    module.main()
    out = capsys.readouterr().out
    isa = torch.backends.cpu.get_cpu_capability()
    # the ISA torch runs on, then any native bf16 units
    assert re.search(rf"^CPU: .+ \({re.escape(isa)}(, AVX512-BF16)?(, AMX)?\)$", out, re.M)
    gemm = float(re.search(r"fp32 GEMM ([\d,.]+) GFLOP/s", out)[1].replace(",", ""))
    row = re.search(r"^\| ptb, bptt \| 1 \| ([\d,]+) \| — \| ([\d,.]+) \|", out, re.M)
    tokens, achieved = (float(x.replace(",", "")) for x in row.groups())
    assert gemm > 0 and tokens > 0 and achieved > 0
    assert "aten::" in out  # the profiled step's top operators
    assert doc.read_text() == before


@pytest.mark.parametrize(
    "arch, sizes, minutes",
    [("lstm", [(1, 48), (1, 16)], "0.3"), ("transformer", [(1, 32), (1, 16)], "0.2")],
)
def test_lm_quality_chooses_a_size_trains_and_writes_its_section(
    bench_on_path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, arch, sizes, minutes
) -> None:
    """``--size auto`` end to end on a small text (Python's own pydoc topics standing in for
    tiny-shakespeare), with two small candidate sizes and no set-up allowance: the table of
    candidates, a trained run and its section and summary row, written to a scratch document;
    for the LSTM and for the GPT-style Transformer (``--arch transformer``)."""
    from pydoc_data.topics import topics

    module = importlib.import_module("bench.lm_quality")
    report = importlib.import_module("bench._report")
    data = tmp_path / "data" / "tinyshakespeare"
    data.mkdir(parents=True)
    (data / "input.txt").write_text("\n".join(topics[k] for k in sorted(topics))[:60_000])
    doc = tmp_path / "benchmarks.md"
    monkeypatch.setitem(module.SIZES, arch, sizes)
    monkeypatch.setattr(module, "MIN_EPOCHS", 1)
    monkeypatch.setattr(module, "SETUP_S", 0.0)
    monkeypatch.setattr(
        module, "write_section", lambda *a, **k: report.write_section(*a, **k, doc=doc)
    )
    argv = ["bench.lm_quality", "shakespeare", "--data", str(tmp_path / "data"), "--minutes",
            minutes, "--size", "auto", "--threads", "1", "--out", str(tmp_path / "runs"),
            "--precision", "fp32", "--name", "lm-smoke", "--arch", arch]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    module.main()
    text = doc.read_text()
    section = text[text.index("<!-- bench:lm-smoke -->") : text.index("<!-- /bench:lm-smoke -->")]
    assert f"| 1x{sizes[0][1]} |" in section and f"| 1x{sizes[1][1]} |" in section  # both timed
    family = "LSTM" if arch == "lstm" else "Transformer"
    chosen = re.search(rf"Model: (1x\d+) {family}", section)[1]
    loss = float(re.search(r"\| best validation loss \| ([\d.]+) nats/char \|", section)[1])
    assert chosen in (f"1x{w}" for _, w in sizes) and 0 < loss < 5  # ln(100 symbols) = 4.6
    assert re.search(rf"<!-- summary:lm-smoke --> .*{chosen} {family} LM.*fp32", text)
    folder = "shakespeare" if arch == "lstm" else "shakespeare-transformer"
    assert (tmp_path / "runs" / folder / "metrics.jsonl").exists()


@needs_shared
def test_decoder_loop_quick_times_both_loops_and_they_agree(
    bench_on_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """One round on a few Multi30k pairs: both loops timed, their outputs and gradients equal
    to float32 rounding; no doc written."""
    module = importlib.import_module("bench.decoder_loop")
    doc = REPO / "docs" / "benchmarks.md"
    before = doc.read_text()
    monkeypatch.setattr(sys, "argv", ["bench.decoder_loop", "--quick", "--threads", "1"])
    module.main()
    row = re.search(r"^\| 1 \| ([\d,.]+) \| ([\d,.]+) \| ([\d.]+)x \| ([\d.e+-]+) \|$",
                    capsys.readouterr().out, re.M)  # fmt: skip
    plain, preset, _, diff = (float(x.replace(",", "")) for x in row.groups())
    assert plain > 0 and preset > 0
    assert diff < 1e-5
    assert doc.read_text() == before


def test_bottleneck_scores_each_run_by_source_length_and_writes_its_section(
    bench_on_path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_runs, pairs
) -> None:
    """Two runs on a few sentences: the table has a row per run with BLEU per bucket, the
    figure is written, and the section names each run's parameter count."""
    module = importlib.import_module("bench.bottleneck")
    report = importlib.import_module("bench._report")
    src, ref = tmp_path / "src.txt", tmp_path / "ref.txt"
    src.write_text("".join(s + "\n" for s, _ in pairs))
    ref.write_text("".join(t + "\n" for _, t in pairs))
    doc, figure = tmp_path / "benchmarks.md", tmp_path / "bottleneck.png"
    monkeypatch.setattr(
        module, "write_section", lambda *a, **k: report.write_section(*a, **k, doc=doc)
    )
    run = str(tiny_runs["s2s"])
    argv = ["bench.bottleneck", run, run, "--src", str(src), "--ref", str(ref), "--threads",
            "1", "--name", "bn-smoke", "--plot", str(figure)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    module.main()
    text = doc.read_text()
    rows = re.findall(r"^\| s2s \(LSTM, attention bahdanau\) \| (.+) \|$", text, re.M)
    assert len(rows) == 2 and rows[0] == rows[1]  # the same run scores the same
    assert "1-5" in text and figure.stat().st_size > 0
    assert re.search(r"s2s \(LSTM, attention bahdanau\): [\d,]+", text)


def test_the_bleu_label_follows_the_data(bench_on_path, tmp_path: Path) -> None:
    """A validation figure only on the file that chose the checkpoint."""
    parts = importlib.import_module("bench._inference_parts")
    run = tmp_path / "run"
    run.mkdir()
    train, valid, test = (tmp_path / f"{n}.txt" for n in ("train", "valid", "test"))
    (run / "config.yaml").write_text(
        f"task: seq2seq\ndata: {{train: {train}, valid: {valid}}}\nmodel: {{}}\n"
    )
    assert parts.bleu_label(run, str(valid)).endswith("a validation figure.")
    assert parts.bleu_label(run, str(test)).endswith("a held-out figure.")
    assert "training file" in parts.bleu_label(run, str(train))


@pytest.mark.parametrize("spelling", ["train.threads=4", "train.threads = 4", " train.threads =4"])
def test_task_run_refuses_train_threads_in_any_spelling(
    spelling: str, bench_on_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """--threads sets train.threads; a --set of it, however spaced, would be overridden."""
    module = importlib.import_module("bench.task_run")
    argv = ["bench.task_run", "x", "missing.yaml", "--set", spelling]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code == 2
    assert "set the threads with --threads N" in capsys.readouterr().err


def test_a_stream_ending_in_an_error_is_an_error_not_a_shorter_stream(bench_on_path) -> None:
    import asyncio

    import httpx

    module = importlib.import_module("bench.serve_stream")
    body = (
        'data: {"text": "T"}\n\ndata: {"text": "he"}\n\n'
        'event: error\ndata: {"error": "generation failed", "request_id": "r1"}\n\n'
    )

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as client:
            await module.one_stream(client, "http://test", {"prime": "T"})

    with pytest.raises(RuntimeError, match="ended in an error: .*generation failed"):
        asyncio.run(run())
