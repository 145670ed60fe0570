"""The flags of ``seqlab serve`` reach the server: ``--max-batch``, ``--max-wait-ms``,
``--max-queue`` and ``--max-body`` become its limits, and ``--backend`` (on ``serve`` and on
``chat``) answers from the ONNX export, the same as torch."""

from __future__ import annotations

import io
import shutil
import sys

import httpx
import pytest

from seqlab.cli import main
from seqlab.cli import serve as serve_command
from seqlab.serve.app import Limits


@pytest.fixture
def configured(monkeypatch):
    """configured(argv): ``seqlab serve ARGV`` as far as the server it would run; its config."""

    def run(argv: list[str]):
        made = []

        class Server:  # uvicorn's place: keeps the config instead of serving it
            def __init__(self, config):
                made.append(config)

            def run(self) -> None:
                pass

        monkeypatch.setattr(serve_command, "_server_class", lambda: Server)
        main(["serve", *argv, "--threads", "1"])
        return made[0]

    return run


@pytest.fixture(scope="module")
def exported_s2s(runs, tmp_path_factory):
    """A copy of the seq2seq run with its ONNX export."""
    run = tmp_path_factory.mktemp("exported") / "s2s"
    shutil.copytree(runs["s2s"], run)
    main(["export", str(run)])
    return run


def test_the_batching_flags_become_the_limits(runs, configured, serving):
    argv = [f"sentiment={runs['sentiment']}", "--max-batch", "3", "--max-wait-ms", "7"]
    config = configured(argv + ["--max-queue", "5", "--max-body", "1234", "--timeout-s", "9"])
    app = config.app
    assert app.state.limits == Limits(
        max_batch=3, max_wait=0.007, max_queue=5, timeout=9.0, max_body=1234
    )
    batcher = app.state.served["sentiment"].batcher
    assert (batcher.max_batch, batcher.max_wait, batcher.max_queue) == (3, 0.007, 5)
    with serving(app) as url:
        body = {"model": "sentiment", "inputs": ["good " * 300]}
        big = httpx.post(f"{url}/v1/classify", json=body, timeout=30)
        small = httpx.post(f"{url}/v1/classify", json={"model": "sentiment", "inputs": ["good"]})
    assert big.status_code == 413 and "request body over 1,234 bytes" in big.json()["error"]
    assert small.status_code == 200


def test_serve_answers_from_the_onnx_export(runs, exported_s2s, configured, serving, capsys):
    onnx = configured([f"s2s={exported_s2s}", "--backend", "onnx"]).app
    assert "s2s on cpu (onnx)" in capsys.readouterr().err
    assert type(onnx.state.served["s2s"].model).__name__ == "OrtSeq2Seq"
    torch_app = configured([f"s2s={exported_s2s}"]).app
    body = {"model": "s2s", "inputs": ["a b c", "c d e", ""], "beam": 3, "n_best": 2}
    answers = []
    for app in (onnx, torch_app):
        with serving(app) as url:
            answers.append(httpx.post(f"{url}/v1/translate", json=body, timeout=60).json())
    texts = [[[h["text"] for h in o["n_best"]] for o in a["outputs"]] for a in answers]
    assert texts[0] == texts[1] and texts[0][0][0] == "c b a"


def _chat(monkeypatch, capsys, *argv) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a b c\nd e a\nquit\n"))
    main(["chat", *map(str, argv)])
    return capsys.readouterr().out


def test_chat_answers_from_the_onnx_export(exported_s2s, runs, monkeypatch, capsys):
    torch_out = _chat(monkeypatch, capsys, exported_s2s)
    assert _chat(monkeypatch, capsys, exported_s2s, "--backend", "onnx") == torch_out
    assert torch_out.splitlines()[:2] == ["c b a", "a e d"]
    with pytest.raises(SystemExit) as e:  # a run without an export: the flag is not ignored
        _chat(monkeypatch, capsys, runs["s2s"], "--backend", "onnx")
    assert e.value.code == 2 and "no onnx export" in capsys.readouterr().err
