"""A live server on 127.0.0.1 over the tiny trained runs, for the serve tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from seqlab.serve.app import Limits, create_app
from seqlab.serve.registry import load_registry


@pytest.fixture(scope="session")
def runs(tiny_runs) -> dict[str, Path]:
    """The tiny trained runs of every task (see the root conftest's ``tiny_runs``)."""
    return tiny_runs


@contextmanager
def _serving(app) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def loaded(runs):
    """Every run loaded once (the server's own objects)."""
    return load_registry([f"{name}={path}" for name, path in runs.items()], "cpu")


@pytest.fixture
def app_factory(loaded):
    """A fresh app (its own batchers and limits) over the loaded runs."""

    def make(limits: Limits = Limits(), api_key: str | None = None):
        return create_app(dict(loaded), limits, api_key)

    return make


@pytest.fixture(scope="session")
def serving():
    """serving(app): a context manager running ``app`` on a free port; yields its base URL."""
    return _serving
