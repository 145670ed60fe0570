"""Write one benchmark's section into docs/benchmarks.md.

Each benchmark owns a section between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``;
re-running a benchmark replaces only its own section.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Every number below was produced by the script named in its section; re-running the script "
    "rewrites that section. Ratios compare runs made in the same process, because the machines "
    "here are noisy.\n"
)


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    n = torch.get_num_threads()
    # the vector ISA torch dispatches to; bf16 speed depends on it (AVX512-BF16 or AMX)
    cpu += f" ({torch.backends.cpu.get_cpu_capability()})"
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{n} thread{'s' if n != 1 else ''}, Python {platform.python_version()}"
    )


def command() -> str:
    return "python " + shlex.join([os.path.relpath(sys.argv[0])] + sys.argv[1:])


def header(title: str) -> list[str]:
    """The opening lines of a section: its title, the command that wrote it and the machine."""
    return [f"## {title}", "", f"Command: `{command()}`  ", f"Machine: {machine()}", ""]


def git_rev() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        return out.stdout.strip() or "uncommitted"
    except OSError:
        return "unknown"


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section ``name`` with ``body`` (Markdown)."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text() if DOC.exists() else HEADER
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->"
    pattern = re.compile(
        rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)
