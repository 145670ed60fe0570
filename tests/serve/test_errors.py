"""Every error body is ``{"error": one line, "request_id": 12 hex}``, the framework's own
refusals (unknown path, wrong method, a body it cannot parse) included."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="module")
def url(loaded, serving):
    from seqlab.serve.app import create_app

    with serving(create_app(dict(loaded))) as base:
        yield base


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "request_id"} and len(body["request_id"]) == 12
    assert body["request_id"] == response.headers["x-request-id"] and "\n" not in body["error"]
    return body["error"]


def test_an_unknown_path_is_404_in_the_error_shape(url):
    assert "GET /v1/nope: no such route" in _error(httpx.get(f"{url}/v1/nope"), 404)
    assert "no such route" in _error(httpx.get(f"{url}/static/nope.js"), 404)


def test_a_wrong_method_is_405_naming_the_allowed_one(url):
    reply = httpx.get(f"{url}/v1/translate")
    assert _error(reply, 405) == "GET /v1/translate: method not allowed; use POST"
    assert reply.headers["allow"] == "POST"


def test_a_body_that_cannot_be_parsed_is_400_in_the_error_shape(url):
    reply = httpx.post(
        f"{url}/v1/classify",
        content=b'{"model": "\xff"}',
        headers={"content-type": "application/json"},
    )
    assert "POST /v1/classify: There was an error parsing the body" == _error(reply, 400)


def test_a_decoding_option_is_refused_by_its_request_field(url):
    reply = httpx.post(
        f"{url}/v1/translate", json={"model": "s2s", "inputs": ["a"], "beam": 2, "n_best": 3}
    )
    assert _error(reply, 422) == "n_best: must be at most beam (2), got 3"
