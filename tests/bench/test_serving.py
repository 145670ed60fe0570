"""bench._serving places the server and the load-test clients on separate cores: the split, and
the pinning of a started process (every thread it starts included) and of the clients."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(REPO))
    return importlib.import_module("bench._serving")


def test_the_clients_get_the_last_cores_and_the_server_the_others(serving):
    two = serving.split_cores([1, 0])
    assert (two.server, two.clients) == ((0,), (1,))
    four = serving.split_cores([0, 1, 2, 3], clients=2)
    assert (four.server, four.clients) == ((0, 1), (2, 3))
    assert "server pinned to cores 0,1, clients to cores 2,3" in four.describe()
    for alone in (serving.split_cores([0]), serving.split_cores([0, 1], clients=2)):
        assert (alone.server, alone.clients) == (None, None)
        assert "not pinned" in alone.describe()
    assert serving.server_threads(0, two) == 1 and serving.server_threads(3, two) == 3


needs_affinity = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity"), reason="os.sched_setaffinity is Linux-only"
)

# prints the cores of the process's main thread and of a thread it starts: "0,1 0,1"
SHOW = (
    "import os, threading\n"
    "cores = lambda: ','.join(map(str, sorted(os.sched_getaffinity(0))))\n"
    "seen = []\n"
    "t = threading.Thread(target=lambda: seen.append(cores()))\n"
    "t.start(); t.join()\n"
    "print(cores(), seen[0])\n"
)


@needs_affinity
def test_a_started_process_and_its_threads_run_on_its_cores(serving):
    everyone, core = sorted(os.sched_getaffinity(0)), max(os.sched_getaffinity(0))
    shown = []
    for cores in (None, [core]):
        proc = serving.start_pinned([sys.executable, "-c", SHOW], cores, stdout=subprocess.PIPE)
        out, _ = proc.communicate(timeout=60)
        shown.append(out.decode().split())
    assert shown == [[",".join(map(str, everyone))] * 2, [str(core)] * 2]


@needs_affinity
def test_pinning_the_clients_pins_this_thread_only(serving):
    everyone, core, seen = sorted(os.sched_getaffinity(0)), min(os.sched_getaffinity(0)), []

    def client() -> None:
        serving.pin_here([core])
        seen.append(sorted(os.sched_getaffinity(0)))
        serving.pin_here(None)  # None leaves the placement as it is
        seen.append(sorted(os.sched_getaffinity(0)))

    worker = threading.Thread(target=client)
    worker.start()
    worker.join()
    assert seen == [[core], [core]] and sorted(os.sched_getaffinity(0)) == everyone
