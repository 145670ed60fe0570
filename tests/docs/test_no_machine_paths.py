"""No document names a folder of the machine that wrote it: a reader's machine has other ones.

The README, docs/ (tours, benchmarks, references), the notebooks and the configs are scanned for
absolute paths: this checkout's own folders (the repository, the folder that holds it, the home
directory) and paths below the usual system roots (/home/..., /tmp/..., /work/...). Commands and
outputs in them name paths relative to the repository's root instead
(``../shared/data/...``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("home", "root", "tmp", "work", "Users", "mnt", "opt", "var", "srv", "private")
# an absolute path below a system root, not part of a URL or of a relative path (../x/home/y)
SYSTEM_PATH = re.compile(rf"(?<![\w.~/:-])/(?:{'|'.join(ROOTS)})/[\w.-]+")


def documents() -> list[Path]:
    files = [REPO / "README.md", REPO / "seqlab.schema.json"]
    for folder, pattern in (("docs", "*.md"), ("notebooks", "*.ipynb"), ("configs", "*.yaml")):
        files += sorted((REPO / folder).rglob(pattern))
    return [f for f in files if f.exists()]


def machine_paths(text: str) -> list[str]:
    """The absolute machine paths in ``text``."""
    found = SYSTEM_PATH.findall(text)
    for own in {REPO, REPO.parent, Path.home()}:
        if len(own.parts) > 1:  # never "/" itself; a whole path, not the tail of another
            found += re.findall(rf"(?<![\w.~/-]){re.escape(str(own))}/", text)
    return found


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_document_names_a_folder_of_this_machine(path: Path) -> None:
    found = machine_paths(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(REPO)}: absolute machine path {found[0]!r}"


def test_the_scan_finds_what_it_looks_for() -> None:
    assert machine_paths("text /work/shared/data/tinyshakespeare/input.txt")
    assert machine_paths(f"wrote {REPO}/runs/demo/char")
    assert machine_paths("--venv /home/someone/joeynmt/.venv")
    relative = "text ../shared/data/tinyshakespeare/input.txt, see https://example.org/home/x"
    assert machine_paths(relative) == []
    assert machine_paths("runs/work/tmp/x and a/var/b") == []


def test_reports_write_the_paths_they_were_given_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench._report import portable

    from seqlab.data.io import shown_path

    monkeypatch.chdir(tmp_path)
    text = tmp_path.parent / "shared" / "input.txt"
    assert shown_path(text) == "../shared/input.txt"
    assert shown_path("data/input.txt") == "data/input.txt"
    assert portable(f"--venv={tmp_path / 'venv'}") == "--venv=venv"
    assert portable(str(text)) == "../shared/input.txt"
    assert portable("--minutes") == "--minutes" and portable("20") == "20"
    far = Path(os.path.abspath(os.sep)) / "elsewhere" / "t.txt"  # given by hand, far away
    assert shown_path(far) == str(far)
