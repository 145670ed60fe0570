"""What `make_tour.py --check` asks of a stored output beyond its text: that it came from the
checkpoint its run directory holds now, and that it quotes a run with the numbers every other
output gives for that run.

Checkpoint hashes. A command that reads a run directory (a ``runs/...`` token of it that holds
``checkpoints/``) is followed in the tour, right after its output block, by one comment with
the hash of the checkpoint file each run directory gave it (invisible once rendered)::

    <!-- checkpoints: runs/bench/m30k-bahdanau=sha256:0123abcd4567 -->

The file is the one seqlab loads (seqlab.tasks.load_run): ``checkpoints/best/model.safetensors``,
or ``checkpoints/last/`` when the run has no best; ``last`` for ``--which last`` and for
``seqlab params`` (which reads the last checkpoint). A command that reads no run directory gets
no comment. ``stale_checkpoints`` compares each stored hash with the file the run directory
holds now. Where the run directory is absent (CI has no runs/) there is nothing to compare it
with and that comparison is skipped; a run directory that is here but has no stored hash fails.

Quoted numbers. ``EXTRACTORS`` reads the numbers an output gives for a run: a command pattern
and a function from the command's tokens and its output to {(run, src, ref, measure): value}.
``conflicting_numbers`` fails where two outputs give one quantity values that cannot be the
same number printed at each one's precision (41.17 and 45.5 differ; 45.49 and 45.5 agree).
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from seqlab.runtime.manifest import file_digest

HASH_CHARS = 12  # hex digits of the sha256 kept: enough to tell two checkpoints apart
COMMENT = re.compile(r"^<!-- checkpoints: (.*) -->$")

# (tour file name, section number, command): where a command first appears in the tours
Place = tuple[str, int, str]


@dataclass(frozen=True)
class Output:
    """A command's output block and the checkpoint hash of each run directory it read."""

    text: str
    checkpoints: dict[str, str] = field(default_factory=dict)  # run directory -> sha256:...


def option(tokens: list[str], name: str, default: str | None = None) -> str | None:
    """The value of option ``name`` (``--name VALUE`` or ``--name=VALUE``) among ``tokens``."""
    for i, token in enumerate(tokens):
        if token == name and i + 1 < len(tokens):
            return tokens[i + 1]
        if token.startswith(name + "="):
            return token.split("=", 1)[1]
    return default


def runs_read(repo: Path, cmd: str) -> list[str]:
    """The run directories ``cmd`` names that are here: its runs/ tokens that hold checkpoints/."""
    tokens = dict.fromkeys(shlex.split(cmd))
    return [t for t in tokens if t.startswith("runs/") and (repo / t / "checkpoints").is_dir()]


def checkpoint_file(repo: Path, cmd: str, run: str) -> Path:
    """The weights file ``cmd`` loads from run directory ``run``."""
    tokens = shlex.split(cmd)
    which = "last" if tokens[:2] == ["seqlab", "params"] else option(tokens, "--which", "best")
    checkpoints = repo / run / "checkpoints"
    if which == "best" and not (checkpoints / "best").exists():
        which = "last"
    return checkpoints / str(which) / "model.safetensors"


def file_hash(path: Path) -> str:
    """``sha256:`` and the first hex digits of the file's hash; ``none`` when there is no file."""
    if not path.is_file():
        return "none"
    return "sha256:" + file_digest(path)[:HASH_CHARS]


def checkpoint_hashes(repo: Path, cmd: str) -> dict[str, str]:
    """Run directory -> the hash of the checkpoint ``cmd`` loads from it, for each it reads."""
    return {run: file_hash(checkpoint_file(repo, cmd, run)) for run in runs_read(repo, cmd)}


def lacks_hash(repo: Path, cmd: str, output: Output) -> bool:
    """Whether ``cmd`` reads a run directory that is here and ``output`` has no hash for."""
    return any(run not in output.checkpoints for run in runs_read(repo, cmd))


def comment(checkpoints: dict[str, str]) -> str:
    """The line stored after an output block (see the module docstring)."""
    return "<!-- checkpoints: " + " ".join(f"{r}={h}" for r, h in checkpoints.items()) + " -->"


def parse_comment(line: str) -> dict[str, str]:
    """Run directory -> hash, from a line ``comment`` wrote ({} for an empty line)."""
    match = COMMENT.match(line)
    return dict(pair.rsplit("=", 1) for pair in match[1].split()) if match else {}


def stale_checkpoints(repo: Path, places: list[Place], outputs: dict[str, Output]) -> list[str]:
    """One line per output whose run directory is here and holds another checkpoint than the
    one it came from, or that stores no hash for it."""
    problems = []
    for name, number, cmd in places:
        output = outputs[cmd]
        fix = f"rerun it: python scripts/make_tour.py --only {number}"
        for run in runs_read(repo, cmd):
            if run not in output.checkpoints:
                problems.append(
                    f"{name} section {number}: no checkpoint hash stored for {run} in the "
                    f"output of `{cmd}`; {fix}"
                )
        for run, stored in output.checkpoints.items():
            now = file_hash(checkpoint_file(repo, cmd, run))
            if (repo / run).exists() and now != stored:
                problems.append(
                    f"{name} section {number}: the output of `{cmd}` came from another "
                    f"checkpoint of {run} (stored {stored}, now {now}); {fix}"
                )
    return problems


Quantity = tuple[str, str, str, str]  # (run, src, ref, measure)


def decoding(beam: str | None) -> str:
    return "greedy BLEU" if beam in (None, "1") else f"beam-{beam} BLEU"


def evaluate_bleu(tokens: list[str], text: str) -> dict[Quantity, str]:
    """``seqlab evaluate RUN --src X --ref Y``: its BLEU line, decoded with the beam its first
    line names; nothing for an ensemble, another backend or another checkpoint than best."""
    other_model = (
        option(tokens, "--ensemble")
        or option(tokens, "--backend", "torch") != "torch"
        or option(tokens, "--which", "best") != "best"
    )
    beam = re.search(r"\(beam (\d+)\)", text)
    bleu = re.search(r"^BLEU\s+([\d.]+)", text, re.MULTILINE)
    src, ref, run = option(tokens, "--src"), option(tokens, "--ref"), tokens[2:3]
    if other_model or not (beam and bleu and src and ref and run) or run[0].startswith("-"):
        return {}
    return {(run[0], src, ref, decoding(beam[1])): bleu[1]}


ROW = re.compile(r"^\| (\S+) \(\w+\) \|.* \| ([\d.]+) \|$", re.MULTILINE)


def bottleneck_bleu(tokens: list[str], text: str) -> dict[Quantity, str]:
    """``seqlab diagnose bottleneck RUN... --src X --ref Y``: the last column (all) of each
    run's row, ``| <run's name> (<attention>) | ... | <all> |``."""
    runs = itertools.takewhile(lambda t: not t.startswith("-"), tokens[3:])
    by_name = {Path(run).name: run for run in runs}
    src, ref = option(tokens, "--src"), option(tokens, "--ref")
    if not (src and ref):
        return {}
    measure = decoding(option(tokens, "--beam"))
    found = ROW.findall(text)
    return {(by_name[n], src, ref, measure): value for n, value in found if n in by_name}


# command pattern -> the numbers its output gives
EXTRACTORS: list[tuple[re.Pattern, Callable[[list[str], str], dict[Quantity, str]]]] = [
    (re.compile(r"seqlab evaluate "), evaluate_bleu),
    (re.compile(r"seqlab diagnose bottleneck "), bottleneck_bleu),
]


def quoted(cmd: str, text: str) -> dict[Quantity, str]:
    """Every number ``cmd``'s output ``text`` gives for a run, by what it measures."""
    out: dict[Quantity, str] = {}
    for pattern, extract in EXTRACTORS:
        if pattern.match(cmd):
            out.update(extract(shlex.split(cmd), text))
    return out


def agree(a: str, b: str) -> bool:
    """Whether one value, printed at the precision of each, can give both ``a`` and ``b``: the
    two are at most half a last digit of each apart (45.49 and 45.5, not 45.44 and 45.5)."""
    x, y = Decimal(a), Decimal(b)

    def last_digit(d: Decimal) -> Decimal:
        return Decimal(1).scaleb(d.as_tuple().exponent)  # 0.01 for 45.49

    return abs(x - y) <= (last_digit(x) + last_digit(y)) / 2


def conflicting_numbers(places: list[Place], outputs: dict[str, Output]) -> list[str]:
    """One line per pair of outputs that give the same run, data and measure different
    numbers (the first output that gave it against each later one)."""
    first: dict[Quantity, tuple[str, int, str]] = {}
    problems = []
    for name, number, cmd in places:
        for quantity, value in quoted(cmd, outputs[cmd].text).items():
            where, was, before = first.setdefault(quantity, (name, number, value))
            if not agree(before, value):
                run, src, ref, measure = quantity
                sections = ",".join(str(n) for n in sorted({was, number}))
                problems.append(
                    f"{where} section {was} gives {measure} {before} for {run} and {name} "
                    f"section {number} gives {value} (--src {src} --ref {ref}); rerun the stale "
                    f"one: python scripts/make_tour.py --only {sections}"
                )
    return problems
