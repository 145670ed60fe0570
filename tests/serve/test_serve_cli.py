"""``seqlab serve`` as a process: it answers once every model has loaded, warns when it binds a
public address without a key, and on SIGTERM finishes the requests in flight, then exits 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-m", "seqlab", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the server did not become healthy")


def test_sigterm_finishes_the_request_in_flight_and_exits_0(runs):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start([f"lm={runs['lm']}", "--port", str(port), "--timeout-s", "20"])
    try:
        _wait_healthy(url, proc)
        body = {"model": "lm", "prime": "the", "max_tokens": 1500, "stream": True}
        with httpx.stream("POST", f"{url}/v1/generate", json=body, timeout=60) as r:
            lines = r.iter_lines()
            first = next(line for line in lines if line.startswith("data: "))
            proc.send_signal(signal.SIGTERM)  # the request is in flight: it has sent a piece
            rest = list(lines)
        assert first and any(line == "event: end" for line in rest)
        end = json.loads(rest[rest.index("event: end") + 1][6:])
        assert len(end["outputs"][0]) > 1000
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_a_public_address_without_a_key_is_warned_about(runs):
    port = _free_port()
    proc = _start([str(runs["sentiment"]), "--host", "0.0.0.0", "--port", str(port)])
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        err = proc.stderr.read()
        assert "warning: serving on 0.0.0.0 without an API key" in err
        assert "sentiment on cpu" in err
    finally:
        proc.kill()


def test_a_missing_key_variable_is_one_line(runs):
    proc = _start([str(runs["sentiment"]), "--api-key-env", "SEQLAB_TEST_NO_SUCH_VARIABLE"])
    assert proc.wait(timeout=60) == 2
    err = proc.stderr.read().strip()
    assert err == (
        "error: --api-key-env SEQLAB_TEST_NO_SUCH_VARIABLE: that environment variable is not set"
    )
