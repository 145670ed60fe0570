"""Write one benchmark's section, and its summary row(s), into docs/benchmarks.md.

The document reads top-down:

1. a title and a short introduction;
2. ``## Summary``: one table row per headline figure, between ``<!-- summary -->`` and
   ``<!-- /summary -->``. Each row opens with ``<!-- summary:KEY -->`` in its first cell, where
   KEY is the name of the section the figure comes from. A row that sums up several sections
   (say, a three-way comparison) carries a key of its own and is kept by hand;
3. one section per benchmark, between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``: an
   ``<a id="NAME">`` anchor (the summary links to it), the title, the machine line, and the
   command folded into a ``<details>`` block (see ``header``), then the script's own text;
4. ``<!-- history -->`` and ``## History``: superseded runs, one line each, kept by hand.

``write_section(name, body)`` replaces section NAME where it stands, or inserts it just before
History when it is new. ``write_section(name, body, summary=[SummaryRow(...), ...])`` also
replaces the summary rows keyed NAME (or appends them to the table when there are none yet),
filling in the machine, today's date and the link to the section::

    write_section("lm-speed", body, summary=[SummaryRow("LM generation", "5,694 chars/s")])

Scripts run from the repository root as ``python -m bench.NAME ...``; ``command`` records them in
that form.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seqlab.data.io import shown_path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SUMMARY_START, SUMMARY_END = "<!-- summary -->", "<!-- /summary -->"
HISTORY = "<!-- history -->"
SUMMARY_HEAD = (
    "| what | result | goal | vs anchor | machine | date | section |\n|---|---|---|---|---|---|---|"
)
# the skeleton of a new document: the introduction, an empty summary table and History
SKELETON = (
    "# Benchmarks\n\n"
    "Every number below was produced by the script named in its section; re-running the script "
    "rewrites that section. Ratios compare runs made in the same process, because the machines "
    "here are noisy. The scripts run from the repository root as `python -m bench.NAME ...`.\n\n"
    "## Summary\n\n"
    f"{SUMMARY_START}\n\n{SUMMARY_HEAD}\n\n{SUMMARY_END}\n\n"
    f"{HISTORY}\n## History\n\nSuperseded runs, one line each.\n"
)


@dataclass(frozen=True)
class SummaryRow:
    """One row of the summary table; ``write_section`` adds the machine, date and link."""

    what: str  # what was measured, e.g. "LM generation, batch 1, 1x512 LSTM"
    result: str  # the headline figure(s), as the section prints them
    goal: str = "—"  # the goal set for it, or "—"
    anchor: str = "—"  # the ratio to (or figure of) what it is compared with, or "—"


def cpu() -> str:
    """The CPU's model name, the vector ISA torch dispatches to and any native bf16 units, e.g.
    ``AMD EPYC (AVX2)`` or ``Intel Xeon (AVX512, AVX512-BF16, AMX)``.

    bf16 speed depends on the ISA: native on AVX512-BF16 or AMX, emulated on AVX2."""
    import torch

    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    name = cpuinfo_field(info, "model name") or platform.processor() or platform.machine()
    flags = cpuinfo_field(info, "flags").split()
    units = [unit for flag, unit in BF16_UNITS if flag in flags]
    return f"{name} ({', '.join([torch.backends.cpu.get_cpu_capability(), *units])})"


# the native bf16 units as /proc/cpuinfo flags name them; with none, bf16 is emulated (about 9x
# slower than fp32)
BF16_UNITS = (("avx512_bf16", "AVX512-BF16"), ("amx_bf16", "AMX"))


def cpuinfo_field(info: str, key: str) -> str:
    """The first value of ``key`` in /proc/cpuinfo's text ``info``, or ""."""
    line = next((x for x in info.splitlines() if x.startswith(key)), "")
    return line.split(":", 1)[1].strip() if ":" in line else ""


def machine() -> str:
    """The machine line: CPU and ISA, cores, torch version, torch threads, Python version."""
    import torch

    n = torch.get_num_threads()
    return (
        f"{cpu()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{n} thread{'s' if n != 1 else ''}, Python {platform.python_version()}"
    )


def command() -> str:
    """The command line that is running, as ``python -m bench.NAME args...``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    module = spec.name if spec is not None else f"bench.{Path(sys.argv[0]).stem}"
    return shlex.join(["python", "-m", module, *map(portable, sys.argv[1:])])


def portable(arg: str) -> str:
    """``arg`` with an absolute path (alone, or after ``--flag=``) as :func:`shown_path` shows
    it, so that a document names no folder of the machine that wrote it."""
    flag, sep, value = arg.rpartition("=") if arg.startswith("-") else ("", "", arg)
    return f"{flag}{sep}{shown_path(value)}"


def header(title: str, machine_note: str = "") -> list[str]:
    """The opening lines of a section: its title, the machine line (``machine_note`` follows it
    after a semicolon) and the command that wrote the section, folded into ``<details>``."""
    note = f"; {machine_note}" if machine_note else ""
    return [
        f"## {title}",
        "",
        f"Machine: {machine()}{note}",
        "",
        *details(command()),
        "",
    ]


def details(cmd: str) -> list[str]:
    """A command folded into a collapsed ``<details>`` block, as a shell code block."""
    return ["<details><summary>Command</summary>", "", "```bash", cmd, "```", "", "</details>"]


def section_block(name: str, body: str) -> str:
    """Section ``name`` with its markers and the anchor the summary links to."""
    return f'<!-- bench:{name} -->\n<a id="{name}"></a>\n\n{body.strip()}\n<!-- /bench:{name} -->'


def summary_line(key: str, row: SummaryRow, cpu_name: str, date: str, link: str) -> str:
    """One summary table row, keyed by ``key``."""
    cells = [f"<!-- summary:{key} --> {row.what}", row.result, row.goal, row.anchor]
    return "| " + " | ".join([*cells, cpu_name, date, link]) + " |"


def write_section(
    name: str, body: str, summary: Sequence[SummaryRow] | None = None, doc: Path = DOC
) -> None:
    """Replace (or insert) section ``name`` of ``doc`` with ``body`` (Markdown starting with
    ``header``'s lines); with ``summary``, replace that section's summary rows by these."""
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text() if doc.exists() else SKELETON
    text = place_section(text, name, section_block(name, body))
    if summary is not None:
        today = datetime.date.today().isoformat()
        lines = [summary_line(name, r, cpu(), today, f"[{name}](#{name})") for r in summary]
        text = replace_summary_rows(text, name, lines, doc)
    doc.write_text(text)


def place_section(text: str, name: str, block: str) -> str:
    """``text`` with section ``name`` replaced by ``block``, or ``block`` inserted before
    History (appended when there is no History)."""
    n = re.escape(name)
    pattern = re.compile(rf"<!-- bench:{n} -->.*?<!-- /bench:{n} -->", re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    if HISTORY in text:
        before, after = text.split(HISTORY, 1)
        return f"{before.rstrip()}\n\n{block}\n\n{HISTORY}{after}"
    return f"{text.rstrip()}\n\n{block}\n"


def replace_summary_rows(text: str, key: str, rows: list[str], doc: Path) -> str:
    """``text`` with the summary rows keyed ``key`` replaced by ``rows``, placed where the first
    old one stood, or after the table's last row."""
    start, end = text.find(SUMMARY_START), text.find(SUMMARY_END)
    if start < 0 or end < start:
        raise ValueError(
            f"{doc}: no summary table (expected '{SUMMARY_START}' ... '{SUMMARY_END}')"
        )
    inner = text[start + len(SUMMARY_START) : end].split("\n")
    mark = f"<!-- summary:{key} -->"
    old = [i for i, line in enumerate(inner) if mark in line]
    if old:
        at = old[0]
    else:
        table = [i for i, line in enumerate(inner) if line.startswith("|")]
        at = table[-1] + 1 if table else len(inner)
    kept = [line for i, line in enumerate(inner) if i not in old]
    inner = kept[:at] + rows + kept[at:]
    return text[: start + len(SUMMARY_START)] + "\n".join(inner) + text[end:]
