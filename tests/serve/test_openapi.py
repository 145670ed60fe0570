"""The API's contract: the OpenAPI schema is the stored one, and ``/docs`` serves it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from seqlab.serve.app import create_app

STORED = Path(__file__).parent / "data" / "openapi.json"


def test_the_openapi_schema_is_the_stored_one():
    """A change to a route, a field, a bound or a description shows here; when it is meant,
    store the new schema (``json.dumps(app.openapi(), indent=1, sort_keys=True)``)."""
    schema = json.loads(json.dumps(create_app({}).openapi()))
    assert schema == json.loads(STORED.read_text(encoding="utf-8"))


def test_docs_serve_the_schema(app_factory, serving):
    with serving(app_factory()) as url:
        docs = httpx.get(f"{url}/docs", timeout=30)
        schema = httpx.get(f"{url}/openapi.json", timeout=30).json()
    assert docs.status_code == 200 and "swagger-ui" in docs.text and "/openapi.json" in docs.text
    assert "/v1/translate" in schema["paths"] and "TranslateRequest" in json.dumps(schema)
