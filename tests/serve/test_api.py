"""The JSON API on a live server: every route gives what the library gives, a batch of
concurrent requests gives each what it gets alone, and bad requests get their status."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import threading

import httpx
import pytest

from seqlab.analysis.explain import explain
from seqlab.decode.strategy import Beam, Sample
from seqlab.serve.app import Limits
from seqlab.tasks.options import GenerateOptions, TranslateOptions


@pytest.fixture(scope="module")
def url(runs, loaded, serving):
    from seqlab.serve.app import create_app

    with serving(create_app(dict(loaded))) as base:
        yield base


def post(url: str, route: str, **body) -> httpx.Response:
    return httpx.post(f"{url}/v1/{route}", json=body, timeout=60)


def test_health_and_models(url, loaded):
    assert httpx.get(f"{url}/health").json() == {"status": "ok", "models": sorted(loaded)}
    models = {m["name"]: m for m in httpx.get(f"{url}/v1/models").json()["models"]}
    assert set(models) == set(loaded)
    s2s = models["s2s"]
    assert s2s["task"] == "seq2seq" and s2s["routes"] == ["/v1/translate", "/v1/chat"]
    assert s2s["cell"] == "lstm" and s2s["sizes"]["hidden_size"] == 24
    expected = sum(p.numel() for p in loaded["s2s"].model.parameters())
    assert s2s["parameters"]["pytorch"] == expected
    assert s2s["options"]["translate"]["beam"]["maximum"] == 32
    assert models["sentiment"]["vocabularies"]["labels"] == ["neg", "pos"]
    assert "temperature" in models["lm"]["options"]["generate"]


@pytest.mark.parametrize("route", ["translate", "chat"])
def test_translate_gives_what_the_library_gives(url, loaded, pairs, route):
    sources = [s for s, _ in pairs[:4]] + [""]
    out = post(url, route, model="s2s", inputs=sources, beam=3, n_best=2, return_attention=True)
    assert out.status_code == 200, out.text
    outputs = out.json()["outputs"]
    task, model = loaded["s2s"].task, loaded["s2s"].model
    want = list(task.translate(model, sources, TranslateOptions(strategy=Beam(3, 2))))
    for got, ref in zip(outputs, want, strict=True):
        assert got["text"] == ref.text and [h["text"] for h in got["n_best"]] == ref.texts
    first = outputs[0]
    assert first["n_best"][0]["score"] >= first["n_best"][1]["score"]
    rows, cols = len(first["attention"]), len(first["attention"][0])
    assert (rows, cols) == (len(first["tgt_tokens"]), len(first["src_tokens"]))
    assert all(abs(sum(r) - 1) < 1e-5 for r in first["attention"])
    assert outputs[-1]["text"] == "" and outputs[-1]["src_tokens"] == []


def test_generate_lm_and_condgen(url, loaded):
    lm = post(url, "generate", model="lm", prime="the ", max_tokens=30, seed=4, n=2).json()
    task, model = loaded["lm"].task, loaded["lm"].model
    alone = task.generate(
        model, GenerateOptions("the ", 30, Sample(0.8, seed=4), n=2)
    )  # the server's defaults: temperature 0.8, top_k 0, top_p 1
    assert lm["outputs"] == alone and all(t.startswith("the ") for t in alone)
    names = post(url, "generate", model="names", condition="Zz", temperature=0, n=3).json()
    assert len(names["outputs"]) == 3 and set(names["outputs"][0]) <= set("zy")
    refused = post(url, "generate", model="names", condition="Korean")
    assert refused.status_code == 422 and "not a class" in refused.json()["error"]


def test_generate_streams_server_sent_events(url):
    body = {"model": "lm", "prime": "a", "max_tokens": 40, "seed": 1, "n": 2, "stream": True}
    pieces, end = {0: [], 1: []}, None
    with httpx.stream("POST", f"{url}/v1/generate", json=body, timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event = "message"
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if event == "end":
                    end = data
                else:
                    pieces[data["sample"]].append(data["text"])
    assert end is not None and len(pieces[0]) > 10  # it arrived in pieces
    assert ["".join(pieces[0]), "".join(pieces[1])] == end["outputs"]


def test_classify_probabilities(url):
    out = post(url, "classify", model="sentiment", inputs=["good great", "awful bad"]).json()
    for row in out["outputs"]:
        assert abs(sum(row["probabilities"].values()) - 1) < 1e-5
        assert row["label"] == max(row["probabilities"], key=row["probabilities"].get)
    assert [r["label"] for r in out["outputs"]] == ["pos", "neg"]


def test_tag_spans_with_character_offsets(url):
    text = "  Anna visited  Paris ."
    out = post(url, "tag", model="ner", inputs=[text, ["Anna", "visited", "Paris", "."]]).json()
    first, second = out["outputs"]
    assert first["tags"] == ["B-PER", "O", "B-LOC", "O"]
    assert [(s["type"], text[s["start"] : s["end"]]) for s in first["spans"]] == [
        ("PER", "Anna"),
        ("LOC", "Paris"),
    ]
    assert [s["text"] for s in second["spans"]] == ["Anna", "Paris"]
    assert second["spans"][1]["start"] == len("Anna visited ")


def test_explain_has_the_cli_numbers(url):
    body = {"text": "hey", "cell": "lstm", "hidden_size": 3, "seed": 2, "steps": 5}
    got = post(url, "explain", **body).json()
    assert got == json.loads(json.dumps(explain(**body)))
    too_long = post(url, "explain", text="x" * 33)
    assert too_long.status_code == 422 and too_long.json()["error"].startswith("text:")


# ------------------------------------------------------------------ batching


def distinct_texts(words: list[str], n: int) -> list[str]:
    """``n`` different texts of 0 to 6 words (every length present), in a fixed order."""
    rng, texts = random.Random(0), [""]
    while len(texts) < n:
        text = " ".join(rng.choice(words) for _ in range(1 + len(texts) % 6))
        if text not in texts:
            texts.append(text)
    return texts


async def _concurrently(url: str, route: str, bodies: list[dict]) -> list[dict]:
    async with httpx.AsyncClient(timeout=120) as client:
        replies = await asyncio.gather(*(client.post(f"{url}/v1/{route}", json=b) for b in bodies))
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    return [r.json() for r in replies]


@pytest.mark.parametrize(
    "route,options",
    [
        ("translate", {"beam": 1}),
        ("translate", {"beam": 5, "n_best": 2}),
        ("generate", {"temperature": 1.0, "seed": 7, "max_tokens": 25}),
        ("generate", {"temperature": 0.0, "max_tokens": 25}),
    ],
)
def test_32_concurrent_requests_get_what_they_get_alone(
    app_factory, serving, caplog, route, options
):
    """32 distinct inputs of 0 to 6 words: a batch pads them to its longest, and padding must
    change no one's result."""
    if route == "translate":
        texts = distinct_texts("a b c d e".split(), 32)
        bodies = [{"model": "s2s", "inputs": [text], **options} for text in texts]
    else:
        texts = distinct_texts("the quick brown fox jumps over lazy dog".split(), 32)
        bodies = [{"model": "lm", "prime": text, **options} for text in texts]
    assert len(set(texts)) == 32 and {len(t.split()) for t in texts} == set(range(7))
    with serving(app_factory(Limits(max_batch=32, max_wait=0.05))) as url:
        alone = [httpx.post(f"{url}/v1/{route}", json=b, timeout=60).json() for b in bodies]
        with caplog.at_level(logging.INFO, logger="seqlab.serve"):
            together = asyncio.run(_concurrently(url, route, bodies))
    for a, b in zip(alone, together, strict=True):
        if route == "translate":
            for x, y in zip(a["outputs"], b["outputs"], strict=True):
                assert x["text"] == y["text"] and x["tgt_tokens"] == y["tgt_tokens"]
                assert [h["text"] for h in x["n_best"]] == [h["text"] for h in y["n_best"]]
                assert x["score"] == pytest.approx(y["score"], abs=1e-5)
        else:
            assert a == b
    batches = [json.loads(r.getMessage())["batch"] for r in caplog.records if "batch" in r.msg]
    assert max(batches) > 1  # they were merged


# ------------------------------------------------------------------ bad requests


def _status(response: httpx.Response, status: int, text: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert text in body["error"] and len(body["request_id"]) == 12
    assert "\n" not in body["error"]
    return body


def test_bad_requests_get_their_status(url):
    _status(post(url, "translate", model="nope", inputs=["a"]), 404, "loaded: lm, names, ner")
    _status(post(url, "translate", model="sentiment", inputs=["a"]), 400, "/v1/classify")
    _status(post(url, "translate", model="s2s", inputs=["a"], beam=0), 422, "beam:")
    _status(post(url, "translate", model="s2s", inputs="a b"), 422, "inputs:")
    _status(post(url, "translate", model="s2s", inputs=["a"], beams=2), 422, "beams:")
    _status(post(url, "translate", model="s2s", inputs=["a"], n_best=6), 422, "n_best:")
    _status(post(url, "generate", model="lm", top_p=0), 422, "top_p:")
    streamed = post(url, "generate", model="lm", prime="안녕", stream=True)  # before the stream
    _status(streamed, 422, "prime: character(s) '녕안' are not in this model's vocabulary")
    _status(post(url, "generate", model="names"), 422, "generate: no condition; expected one of")
    bad_json = httpx.post(f"{url}/v1/translate", content=b"{oops", timeout=10)
    _status(bad_json, 422, "")
    long = "a " * 60
    _status(post(url, "translate", model="s2s", inputs=["a", long]), 422, "inputs.1: 60 tokens")
    cut = post(url, "translate", model="s2s", inputs=[long], truncate=True).json()
    assert cut["outputs"][0]["truncated"] is True


def test_bodies_over_the_limit_are_413_with_or_without_a_length(url):
    big = b"{" + b" " * (2 << 20) + b"}"
    headers = {"content-type": "application/json"}
    _status(httpx.post(f"{url}/v1/translate", content=big, headers=headers), 413, "body over")

    def chunks():
        for _ in range(32):
            yield b" " * (64 << 10)  # 2 MiB in all, no Content-Length: chunked

    streamed = httpx.post(f"{url}/v1/translate", content=chunks(), headers=headers)
    _status(streamed, 413, "body over")


def test_api_key(app_factory, serving):
    with serving(app_factory(api_key="s3cret")) as url:
        _status(post(url, "classify", model="sentiment", inputs=["good"]), 401, "API key")
        wrong = {"Authorization": "Bearer nope"}
        body = {"model": "sentiment", "inputs": ["good"]}
        _status(httpx.post(f"{url}/v1/classify", json=body, headers=wrong), 401, "API key")
        right = {"Authorization": "Bearer s3cret"}
        assert httpx.post(f"{url}/v1/classify", json=body, headers=right).status_code == 200
        assert httpx.get(f"{url}/health").status_code == 200  # health needs no key


def _gated(app, gate: threading.Event, started: threading.Event | None = None):
    """Every model's batched call sets ``started`` (it is on the inference thread), then waits
    for ``gate``."""
    started = started or threading.Event()

    def held(run, key, jobs):
        started.set()
        gate.wait(10)
        return run(key, jobs)

    for model in app.state.served.values():
        model.batcher.run = functools.partial(held, model.batcher.run)
    return app


def test_queue_full_is_503_and_deadline_is_504(app_factory, serving):
    gate = threading.Event()
    app = _gated(app_factory(Limits(max_queue=2, timeout=0.5, max_wait=0.0)), gate)
    with serving(app) as url:

        async def flood():
            async with httpx.AsyncClient(timeout=30) as client:
                body = {"model": "sentiment", "inputs": ["good"]}
                return await asyncio.gather(
                    *(client.post(f"{url}/v1/classify", json=body) for _ in range(6))
                )

        replies = asyncio.run(flood())
        gate.set()
    codes = sorted(r.status_code for r in replies)
    assert 503 in codes and 504 in codes, codes
    busy = next(r for r in replies if r.status_code == 503)
    assert busy.headers["retry-after"] == "1"


def test_a_bug_is_500_with_its_request_id_in_the_log(app_factory, serving, caplog):
    app = app_factory()

    def boom(key, jobs):
        raise RuntimeError("a bug")

    app.state.served["sentiment"].batcher.run = boom
    with serving(app) as url, caplog.at_level(logging.INFO, logger="seqlab.serve"):
        body = _status(post(url, "classify", model="sentiment", inputs=["good"]), 500, "internal")
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert body["request_id"] in logged and "RuntimeError: a bug" in caplog.text


def test_every_request_is_one_json_log_line(url, caplog):
    with caplog.at_level(logging.INFO, logger="seqlab.serve"):
        post(url, "classify", model="sentiment", inputs=["good", "bad"])
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if "/v1/classify" in r.msg]
    assert line["route"] == "/v1/classify" and line["model"] == "sentiment" and line["rows"] == 2
    assert line["status"] == 200 and line["batch"] >= 2
    assert line["queue_ms"] >= 0 and line["compute_ms"] >= 0


def test_inference_runs_off_the_event_loop(app_factory, serving):
    """While a batch is computing (held here until released), the server answers at once."""
    gate, started = threading.Event(), threading.Event()
    with serving(_gated(app_factory(), gate, started)) as url:

        async def both():
            async with httpx.AsyncClient(timeout=60) as client:
                body = {"model": "sentiment", "inputs": ["good"]}
                held = asyncio.ensure_future(client.post(f"{url}/v1/classify", json=body))
                assert await asyncio.to_thread(started.wait, 10)  # the batch is computing
                health = await client.get(f"{url}/health")
                waiting = not held.done()
                gate.set()
                return health.status_code, waiting, (await held).status_code

        assert asyncio.run(both()) == (200, True, 200)
