"""POST /v1/attention on a live server: a Transformer's maps per layer and head are the
library's (:mod:`seqlab.analysis.attention_maps`), labelled by their tokens; recurrent runs do
not list the route, and oversized or empty inputs are refused."""

from __future__ import annotations

import httpx
import pytest
import torch

from seqlab.analysis.attention_maps import lm_attention, seq2seq_attention
from seqlab.data.parallel import with_eos
from seqlab.data.vocab import SOS_ID
from seqlab.decode.strategy import Greedy
from seqlab.serve.app import create_app
from seqlab.serve.schemas import MAX_ATTENTION_TOKENS


@pytest.fixture(scope="module")
def url(loaded, transformers, serving):
    with serving(create_app({**loaded, **transformers})) as base:
        yield base


def post(url: str, **body) -> httpx.Response:
    return httpx.post(f"{url}/v1/attention", json=body, timeout=60)


def test_only_transformers_list_the_route(url, loaded):
    models = {m["name"]: m for m in httpx.get(f"{url}/v1/models").json()["models"]}
    assert models["tlm"]["routes"] == ["/v1/generate", "/v1/attention"]
    assert models["ts2s"]["routes"] == ["/v1/translate", "/v1/chat", "/v1/attention"]
    assert models["tlm"]["options"]["attention"]["target"]["default"] is None
    assert models["ts2s"]["cell"] == "transformer"
    assert models["ts2s"]["sizes"] == {
        "embedding_dim": 16,
        "num_layers": 2,
        "num_heads": 2,
        "arch": "transformer",
    }
    assert all("/v1/attention" not in models[name]["routes"] for name in loaded)
    reply = post(url, model="lm", text="the fox")
    assert reply.status_code == 400
    assert reply.json()["error"] == "model 'lm' is a lm run: it answers /v1/generate"


def test_lm_maps_are_the_library_maps(url, transformers):
    one, text = transformers["tlm"], "the lazy dog"
    reply = post(url, model="tlm", text=text)
    assert reply.status_code == 200, reply.text
    (got,) = reply.json()["maps"]
    ids = one.task.encode(text)  # (T,)
    want = lm_attention(one.model, ids.unsqueeze(0))["self"][0]  # (N, h, T, T)
    assert got["kind"] == "self"
    assert got["queries"] == got["keys"] == [one.task.vocab.itos[i] for i in ids]
    assert torch.tensor(got["weights"]) == pytest.approx(want, abs=1e-6)
    assert torch.tensor(got["weights"]).shape == (2, 2, len(ids), len(ids))


def test_seq2seq_maps_for_a_given_and_a_decoded_target(url, transformers, pairs):
    one = transformers["ts2s"]
    source, target = pairs[0]
    given = post(url, model="ts2s", text=source, target=target).json()["maps"]
    assert [m["kind"] for m in given] == ["source", "target", "cross"]
    src = with_eos(one.task.src_ids(source))
    tgt = [SOS_ID, *one.task.tgt_ids(target)]
    want = seq2seq_attention(
        one.model, torch.tensor([src]), torch.tensor([len(src)]), torch.tensor([tgt])
    )
    for got in given:
        assert torch.tensor(got["weights"]) == pytest.approx(want[got["kind"]][0], abs=1e-6)
    assert given[0]["keys"] == given[2]["keys"] == source.split() + ["<eos>"]
    assert given[1]["queries"] == given[2]["queries"] == ["<sos>", *target.split()]

    decoded = post(url, model="ts2s", text=source).json()["maps"]
    greedy = one.task.decode(one.model, [src[:-1]], Greedy())[0][0].tokens
    assert decoded[2]["queries"] == ["<sos>", *one.task.tgt_tokens(greedy)]


def test_inputs_over_the_limit_or_empty_are_refused(url, transformers):
    """A side is at most MAX_ATTENTION_TOKENS long, and a language model's at most its window."""
    window = transformers["tlm"].model.max_len
    assert window == 64 < MAX_ATTENTION_TOKENS
    long = post(url, model="tlm", text="a" * (window + 1))
    assert long.status_code == 422
    assert long.json()["error"] == (
        f"text: {window + 1} tokens, over the attention maps' limit of {window}; shorten it or "
        "send truncate: true"
    )
    cut = post(url, model="tlm", text="a" * (window + 1), truncate=True).json()
    assert cut["truncated"] is True and len(cut["maps"][0]["queries"]) == window
    target = " ".join(["a"] * MAX_ATTENTION_TOKENS)  # with <sos>, one token over
    over = post(url, model="ts2s", text="a b", target=target)
    assert over.status_code == 422 and over.json()["error"].startswith(
        f"target: {MAX_ATTENTION_TOKENS + 1} tokens, over the attention maps' limit of "
        f"{MAX_ATTENTION_TOKENS}"
    )
    empty = post(url, model="tlm", text="")
    assert empty.status_code == 422 and empty.json()["error"].startswith("text: no tokens")
    extra = post(url, model="ts2s", text="a b", beam=2)
    assert extra.status_code == 422 and "beam" in extra.json()["error"]
