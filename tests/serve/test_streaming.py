"""Generation streams: a piece reaches the client while the rest is still being made.

The model's generation is held after its first piece until the client has it. A server (or a
command) that buffered its output would send nothing while held: the hold would time out, and
the test fails.
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
import time

import httpx

from seqlab.cli import main
from seqlab.models.lm_inference import LMInference


def test_the_api_sends_a_piece_while_generation_is_held(app_factory, serving, Hold, hold_streams):
    hold = Hold()
    body = {"model": "lm", "prime": "the ", "max_tokens": 30, "seed": 1, "stream": True}
    with serving(hold_streams(app_factory(), "lm", hold)) as url:
        with httpx.stream("POST", f"{url}/v1/generate", json=body, timeout=60) as r:
            lines = r.iter_lines()
            first = next(line for line in lines if line.startswith("data: "))
            hold.release()  # the piece came while generation waited for this
            rest = list(lines)
    assert hold.held is True, "the first piece only came after the hold timed out"
    assert json.loads(first[6:]) == {"sample": 0, "text": "the "}
    end = json.loads(rest[rest.index("event: end") + 1][6:])
    events = [json.loads(line[6:]) for line in [first, *rest] if line.startswith("data")]
    pieces = [event["text"] for event in events[:-1]]  # the last is the end event's
    assert "".join(pieces) == end["outputs"][0] and len(pieces) > 10


class _Stdout:
    """Collects what a command writes; the first write after the prime is held (see Hold)."""

    def __init__(self, hold, seen: queue.Queue):
        self.hold, self.seen, self.text = hold, seen, []

    def write(self, text: str) -> int:
        self.text.append(text)
        if text and self.text != ["the "]:  # the prime is written before any decoding
            self.hold(self.seen.put, text)
        return len(text)

    def flush(self) -> None:
        pass


def test_the_cli_writes_a_piece_while_generation_is_held(runs, monkeypatch, Hold):
    steps, hold, seen = [], Hold(), queue.Queue()
    step = LMInference.step  # the prepared step, which the decoding loop calls
    monkeypatch.setattr(LMInference, "step", lambda *a: (steps.append(1), step(*a))[1])
    out = _Stdout(hold, seen)
    monkeypatch.setattr(sys, "stdout", out)
    argv = ["generate", str(runs["lm"]), "--prime", "the ", "--length", "40", "--seed", "1"]
    worker = threading.Thread(target=main, args=(argv,))
    worker.start()
    piece = seen.get(timeout=20)
    made = len(steps)  # model steps taken while the first generated piece is held
    hold.release()
    worker.join(60)
    assert hold.held is True and len(piece) == 1
    assert made < 40 < len(steps)  # the piece came long before the last token was made
    assert "".join(out.text).startswith("the ") and len("".join(out.text)) == len("the ") + 40 + 1


def test_a_stream_whose_client_goes_stops_generating(
    app_factory, serving, Hold, hold_streams, caplog, monkeypatch
):
    """The studio's Stop closes the stream: the server stops making the rest of it."""
    steps = []
    step = LMInference.step  # the prepared step, which the decoding loop calls
    monkeypatch.setattr(LMInference, "step", lambda *a: (steps.append(1), step(*a))[1])
    hold, app = Hold(), app_factory()
    body = {"model": "lm", "prime": "the ", "max_tokens": 2000, "seed": 1, "stream": True}
    with serving(hold_streams(app, "lm", hold)) as url:
        with caplog.at_level(logging.INFO, logger="seqlab.serve"):
            with httpx.stream("POST", f"{url}/v1/generate", json=body, timeout=60) as r:
                next(line for line in r.iter_lines() if line.startswith("data: "))
            logged = lambda: any("/v1/generate" in r.getMessage() for r in caplog.records)  # noqa: E731
            deadline = time.monotonic() + 20
            while not logged():  # the request has ended on the server: its client went
                assert time.monotonic() < deadline
                time.sleep(0.01)
        hold.release()
        batcher = app.state.served["lm"].batcher
        while batcher.pending:  # the batch ends, early
            assert time.monotonic() < deadline + 20
            time.sleep(0.01)
    assert hold.held is True and hold.pieces == 1
    assert len(steps) < 100  # of the 2,000 tokens asked for


def _streamed(url: str, body: dict) -> tuple[list[str], dict]:
    """The pieces of sample 0 of a streamed request, and its end event."""
    pieces, event, end = [], "message", None
    with httpx.stream("POST", f"{url}/v1/generate", json=body, timeout=60) as r:
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "end":
                end = json.loads(line[6:])
            elif line.startswith("data: "):
                pieces.append(json.loads(line[6:])["text"])
    return pieces, end


def test_a_stream_is_the_unstreamed_output_one_token_a_piece(app_factory, serving):
    """Streamed or not, a seed gives one text; a character model sends the prime, then one
    piece per token made."""
    body = {"model": "lm", "prime": "the ", "max_tokens": 25, "seed": 3, "temperature": 1.0}
    with serving(app_factory()) as url:
        whole = httpx.post(f"{url}/v1/generate", json=body, timeout=60).json()["outputs"][0]
        pieces, end = _streamed(url, {**body, "stream": True})
    assert "".join(pieces) == whole == end["outputs"][0]
    assert pieces[0] == "the " and len(pieces) == 1 + 25
