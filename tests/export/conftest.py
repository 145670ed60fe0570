"""Every tiny run, copied and exported once for the export tests."""

from __future__ import annotations

import shutil

import pytest

from seqlab.cli import main


@pytest.fixture(scope="session")
def exported(tiny_runs, tmp_path_factory):
    """A copy of every tiny run (so exports stay local to these tests), each exported. A test
    that changes one works on its own copy."""
    root = tmp_path_factory.mktemp("exported")
    runs = {}
    for name, run in tiny_runs.items():
        runs[name] = root / name
        shutil.copytree(run, runs[name])
        main(["export", str(runs[name])])
    return runs
