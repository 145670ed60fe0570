"""A live server on 127.0.0.1 over the tiny trained runs, for the serve tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from tests.serve.transformer_runs import train_transformer_runs

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


# ------------------------------------------------------------------ holding a stream


class _Hold:
    """Wraps a piece callback: the first piece passes, then the producer waits for
    ``release()``; ``held`` says whether the release came while it waited."""

    def __init__(self, timeout: float = 20):
        self.gate, self.timeout, self.held, self.pieces = threading.Event(), timeout, None, 0

    def __call__(self, push, *piece) -> None:
        push(*piece)
        self.pieces += 1
        if self.pieces == 1:
            self.held = self.gate.wait(self.timeout)

    def release(self) -> None:
        self.gate.set()


def _hold_streams(app, model: str, hold: _Hold):
    """Every request streamed by ``model`` passes its pieces through ``hold``."""
    batcher = app.state.served[model].batcher
    run = batcher.run

    def held(key, jobs):
        for job in jobs:
            if job.stream is not None:
                job.stream = lambda *piece, push=job.stream: hold(push, *piece)
        return run(key, jobs)

    batcher.run = held
    return app


@pytest.fixture(scope="session")
def Hold():  # noqa: N802 (a class, handed to tests)
    """Hold(timeout): a piece callback's wrapper that holds the producer after the first piece."""
    return _Hold


@pytest.fixture(scope="session")
def hold_streams():
    """hold_streams(app, model, hold): every stream of ``model`` passes through ``hold``."""
    return _hold_streams


@pytest.fixture(scope="session")
def transformers(tmp_path_factory):
    """Two tiny trained Transformer runs, loaded: "tlm" (a language model) and "ts2s" (an
    encoder-decoder); see :mod:`tests.serve.transformer_runs`."""
    runs = train_transformer_runs(tmp_path_factory.mktemp("transformers"))
    return load_registry([f"{name}={path}" for name, path in runs.items()], "cpu")
