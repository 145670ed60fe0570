"""``seqlab serve``: trained runs behind a batching JSON API and the web studio."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import typer

from seqlab.errors import SeqlabError

LOCAL = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    runs: list[str] = typer.Argument(..., help="Run directories, each RUN or NAME=RUN."),
    *,
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, min=0, max=65535, help="Port (0 picks a free one)."),
    max_batch: int = typer.Option(32, "--max-batch", min=1, help="Rows per batched call."),
    max_wait_ms: float = typer.Option(
        5.0, "--max-wait-ms", min=0.0, help="How long a batch waits to fill."
    ),
    max_queue: int = typer.Option(256, "--max-queue", min=1, help="Rows waiting per model."),
    timeout_s: float = typer.Option(
        30.0, "--timeout-s", min=0.001, help="Deadline of a request; also the shutdown grace."
    ),
    max_body: int = typer.Option(1 << 20, "--max-body", min=1, help="Request body limit, bytes."),
    api_key_env: str = typer.Option(
        None, "--api-key-env", help="Environment variable holding the API key (Bearer)."
    ),
    backend: str = typer.Option(
        "torch", "--backend", help="torch, onnx or onnx-int8 (see seqlab export)."
    ),
    threads: int = typer.Option(
        0, min=0, help="torch threads of inference (0: the cores less one, at least one)."
    ),
    ensemble: list[Path] = typer.Option(
        None, "--ensemble", help="Another run to ensemble with the one RUN served; repeat."
    ),
) -> None:
    """Load each run once, then answer /v1/translate, /v1/chat, /v1/generate, /v1/classify,
    /v1/tag and /v1/explain, batching concurrent requests; the studio is at /."""
    import uvicorn

    from seqlab.serve.app import Limits, create_app

    key = _api_key(api_key_env)
    if host not in LOCAL and key is None:
        warning = f"warning: serving on {host} without an API key: anyone who reaches it can use it"
        print(f"{warning}; pass --api-key-env VAR", file=sys.stderr)
    models = _load(runs, backend, threads, ensemble or [])
    limits = Limits(max_batch, max_wait_ms / 1000, max_queue, timeout_s, max_body)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    config = uvicorn.Config(
        create_app(models, limits, key),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=max(1, round(timeout_s)),
    )
    _server_class()(config).run()


def _load(runs: list[str], backend: str, threads: int, ensemble: list[Path]) -> dict:
    """Set torch's threads and load every run; says what it loaded, on which device."""
    import torch

    from seqlab.serve.registry import load_registry

    # the event loop needs a core too: torch's intra-op threads spinning on every core slow
    # both down (on 2 cores, 1 thread answered 1.5-6x the requests/s of 2 under load)
    torch.set_num_threads(threads or max(1, (os.cpu_count() or 2) - 1))
    device = "cuda" if torch.cuda.is_available() and backend == "torch" else "cpu"
    models = load_registry(runs, device, backend, ensemble=ensemble)
    print(f"seqlab serve: {', '.join(models)} on {device} ({backend})", file=sys.stderr)
    return models


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, except that a SIGTERM (or Ctrl-C) that ended in a graceful shutdown
        is not raised again afterwards: the requests in flight finished, so seqlab exits 0."""

        @contextlib.contextmanager
        def capture_signals(self):
            with super().capture_signals():
                try:
                    yield
                finally:
                    self._captured_signals.clear()

    return Server


def _api_key(variable: str | None) -> str | None:
    if variable is None:
        return None
    key = os.environ.get(variable, "")
    if not key:
        raise SeqlabError(f"--api-key-env {variable}: that environment variable is not set")
    return key
